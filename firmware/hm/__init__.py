# Harmonia board package. Kept empty so importing a submodule costs only that submodule.
