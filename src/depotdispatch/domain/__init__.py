"""Pure model and rules: no I/O, no framework, no clock (`now` is always a parameter)."""
