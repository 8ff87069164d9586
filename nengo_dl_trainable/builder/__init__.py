"""Nengo build functions (for NengoDL only) and the operators they emit.

As in ``nengo/builder/``: `nengo_dl_trainable.builder.connection` and
`nengo_dl_trainable.builder.ensemble` build connections, synapses and ensembles,
`nengo_dl_trainable.builder.gain` an ensemble's trainable gain, emitting the
operators of `nengo_dl_trainable.builder.operators`; what the build decides is
kept in the model's record (`nengo_dl_trainable.builder.record`).
"""
