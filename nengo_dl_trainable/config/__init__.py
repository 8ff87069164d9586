"""The ``trainable_params`` API: names, config parameters, resolution, markers.

What a user writes to select what trains, and how the package decides, for one
object, what that selects. Nothing here builds or runs a model.
"""
