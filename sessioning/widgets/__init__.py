"""Widgets for stepping through concept flows in Jupyter (ipywidgets 8).

* :class:`FlowStepper` (:mod:`.stepper`) — step through any recorded run, action by action;

The 2025 app's own widgets (``LoginPanel``, ``SyncPicker``) live in
:mod:`sessioning.gen2025.widgets`; all three are also ``sessioning.FlowStepper`` etc.
"""

from .stepper import FlowStepper

__all__ = ["FlowStepper"]
