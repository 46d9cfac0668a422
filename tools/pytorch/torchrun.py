#!/usr/bin/python3
"""`python3 -m torch.distributed.run` with the fix it needs on Debian 12 (torch 1.13.1 on
Python 3.11): there, the launcher fails before starting any process with
"AttributeError: 'NoneType' object has no attribute 'get'", because Python 3.11 no longer lists
the zero member Std.NONE when iterating an IntFlag, so Std.from_str("0") (the default of
--redirects and --tee) returns None. This maps that None back to Std.NONE, then runs the
launcher unchanged with the same arguments:

    /usr/bin/python3 tools/pytorch/torchrun.py --standalone --nproc_per_node 2 tools/pytorch/train.py ...

(With an unaffected torch/Python it only runs the launcher. Without this script,
`python3 -m torch.distributed.run --redirects 1 --tee 1 ...` also avoids the bug.)
"""
import runpy
import sys

from torch.distributed.elastic.multiprocessing.api import Std

_from_str = Std.from_str.__func__


def _fixed_from_str(cls, vm):
    v = _from_str(cls, vm)
    if v is None:
        return Std.NONE
    if isinstance(v, dict):
        return {k: Std.NONE if s is None else s for k, s in v.items()}
    return v


Std.from_str = classmethod(_fixed_from_str)

if __name__ == "__main__":
    sys.argv[0] = "torch.distributed.run"
    runpy.run_module("torch.distributed.run", run_name="__main__", alter_sys=True)
