"""What users call on a simulator: summary, read-back, freezing, checkpoints.

Also the training-time behaviour set up by ``compile``
(`nengo_dl_trainable.tools.optimizer_step`).
"""
