"""What every benchmark records: the machine it ran on, and its JSON file."""

import json
import os
import platform
from pathlib import Path

import nengo_dl
import tensorflow as tf


def machine(**versions):
    """Describe the machine and the package versions of a run.

    Parameters
    ----------
    **versions : str
        Further package versions to record (name=version).

    Returns
    -------
    dict
    """
    return {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "tensorflow": tf.__version__,
        "nengo_dl": nengo_dl.__version__,
        **versions,
    }


def write(results, path):
    """Write ``results`` as JSON to ``path`` (creating its folder) and say so.

    Parameters
    ----------
    results : dict
        JSON-serializable results.
    path : str or `~pathlib.Path`
        Output file.

    Returns
    -------
    `~pathlib.Path`
        The file written.
    """
    output = Path(path)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    print(f"results written to {output}")
    return output
