"""The ``lurewatch`` command line: the top layer, wiring every other package together."""
