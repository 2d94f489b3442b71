# Validate, then run, a recipe; results land in --out (rerun to resume).
kd run bow-sentiment.yaml --validate-only
kd run bow-sentiment.yaml --backend wasm --out runs/bow
kd report runs/bow   # rebuilds runs/bow/index.html from runs/bow/results.json
