"""Optional integrations: KerasSpiking layers, ``tf.distribute`` helpers."""
