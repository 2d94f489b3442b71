"""Times the Python reference tools on the benchmark pairs (one run each, one core).

  python python_baseline.py pairs.json  ->  JSON {metric: {"seconds": s, "value": v}}

Needs sacrebleu; rouge_score and jiwer are used when importable (jiwer falls back to
its own algorithm: RapidFuzz opcodes over jiwer's default character transform).
"""
import json
import sys
import time

pairs = json.load(open(sys.argv[1], encoding="utf8"))
hyps, refs = pairs["predictions"], pairs["references"]
out = {}


def timed(name, fn, impl):
    t = time.perf_counter()
    value = fn()
    out[name] = {"seconds": time.perf_counter() - t, "value": value, "impl": impl}


import sacrebleu  # noqa: E402

timed("bleu", lambda: sacrebleu.corpus_bleu(hyps, [refs]).score, f"sacrebleu {sacrebleu.__version__}")
timed("chrf", lambda: sacrebleu.corpus_chrf(hyps, [refs]).score, f"sacrebleu {sacrebleu.__version__}")

try:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    timed("rougeL", lambda: sum(scorer.score(r, h)["rougeL"].fmeasure for h, r in zip(hyps, refs)) / len(hyps), "rouge_score")
except ImportError:
    pass

try:
    import jiwer

    timed("cer", lambda: jiwer.cer(refs, hyps), "jiwer")
except ImportError:
    import rapidfuzz

    def cer():
        edits = total = 0
        for h, r in zip(hyps, refs):
            for tag, i1, i2, j1, j2 in rapidfuzz.distance.Levenshtein.opcodes(list(r.strip()), list(h.strip())):
                if tag == "equal":
                    total += i2 - i1
                elif tag in ("replace", "delete"):
                    edits += i2 - i1
                    total += i2 - i1
                else:
                    edits += j2 - j1
        return edits / total

    timed("cer", cer, f"jiwer 4 algorithm on rapidfuzz {rapidfuzz.__version__}")

json.dump(out, sys.stdout)
