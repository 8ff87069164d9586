"""Run NengoDL issue #60's lines where only an installed wheel provides the package.

Run by ``scripts/test.sh`` in a fresh environment into which the built wheel was
installed (not editable), with ``python -I`` from outside the checkout: the script
imports only nengo, nengo_dl, numpy and tensorflow, as a user's script would, and
checks that the extension is active, that it comes from site-packages, and that
the synapse learns ``tau = 0.1`` and runs frozen in core Nengo.
"""

import sys
import sysconfig
from pathlib import Path

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf

site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
module = Path(nengo_dl.trainable_params.__file__).resolve()
if site_packages not in module.parents:
    sys.exit(f"nengo_dl.trainable_params comes from {module}, not {site_packages}")

with nengo.Network(seed=0) as net:
    nengo_dl.configure_settings(trainable_params=None)
    u = nengo.Node(1)
    x = nengo.Node(size_in=1)
    conn = nengo.Connection(u, x, synapse=0.005)
    net.config[conn].trainable_params = {"synapse"}
    probe = nengo.Probe(x)

step = np.ones((1, 1000, 1))
step[:, 0] = 0  # the probe sees x one step after the filter
target = nengo.Lowpass(0.1).filt(step, dt=0.001, axis=1)
with nengo_dl.Simulator(net, progress_bar=False) as sim:
    sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
    sim.fit(n_steps=1000, y={probe: target}, epochs=150, verbose=0)
    trained = sim.predict(n_steps=1000)[probe]
    sim.freeze_params(net)
with nengo.Simulator(net, progress_bar=False) as core:
    core.run_steps(1000)

tau = conn.synapse.tau
difference = np.max(np.abs(core.data[probe] - trained[0]))
print(
    f"wheel from {module.parent}: tau 0.005 -> {tau:.6f} s; core Nengo differs by "
    f"{difference:.2e}"
)
if abs(tau - 0.1) > 0.001 or difference > 1e-5:
    sys.exit("FAILED: tau not within 1% of 0.1, or core Nengo differs")
print("wheel check passed: installed, active, learned")
