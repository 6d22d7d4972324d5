"""Placing several facilities at once: a layout every rule holds for, proved by the checker.

The feasible region (zones/siting/feasible.py) says where one facility could go on its own;
this package places all of them together. Each rule kind says what it means for a layout in
its record's `layout` part: a `LayoutPart` that compiles a bound rule into terms of a small
vocabulary (`terms.py`: keep inside a zone, stay clear of a facility, reach one, a size …)
or `NotALayoutRule` saying why it has none. `problem.py` gathers the terms of every facility,
`model.py` turns them into a CP-SAT model on a grid, `solve.py` searches and has every layout
re-checked by the siting checker (`verify.py`) before it is returned, and `explain.py` names
the smallest set of rules that leaves no layout.

This module imports nothing, so that the rule-kind records can import `terms` without
loading the solver.
"""
