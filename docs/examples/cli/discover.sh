# What is installed: bundled recipes, registry entries, backends.
kd recipes
kd plugins --kind optimizer
kd doctor
