# A bad recipe fails before anything runs, with the path of each problem (exit code 2).
kd run bad-recipe.yaml --validate-only || echo "exit code $?"
