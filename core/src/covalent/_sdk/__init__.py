"""The user-facing SDK: electrons, lattices and their dependencies."""
