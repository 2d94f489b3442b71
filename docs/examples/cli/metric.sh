# Any registered metric from JSON on stdin (HF evaluate names), or JSON Lines streamed from a file.
echo '{"predictions": ["hello there general kenobi"], "references": [["hello there general kenobi"]]}' \
  | kd metric sacrebleu --options '{"tokenize": "intl"}'
printf '%s\n' '{"prediction": "hello world", "reference": "hello there world"}' \
  '{"prediction": "good morning", "reference": "good morning"}' > pairs.jsonl
kd metric wer --input pairs.jsonl --jsonl
