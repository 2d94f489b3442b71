// The numbers papers report, computed as the reference tools compute them.
// Argument names and result keys follow Hugging Face `evaluate`.
import {
  corpusBleu,
  corpusChrf,
  f1Score,
  glue,
  matthewsCorrcoef,
  rocAucScore,
  rouge,
  seqeval,
  squad,
  wer,
} from '@kd/eval';

const predictions = ['The cat sat on the mat.', 'It was not surprising.'];
const references = [
  ['The cat is on the mat.'],
  ['It was not unexpected.', 'No one was surprised.'],
];

// Machine translation: sacreBLEU 2.x (13a tokenizer, exp smoothing), chrF++.
const bleu = corpusBleu(predictions, references);
const chrf = corpusChrf(predictions, references, { word_order: 2 });
console.log(bleu.score.toFixed(2), chrf.score.toFixed(2));

// Summarisation: rouge_score 0.1.2 with the Porter stemmer, mean over examples.
const r = rouge(
  predictions,
  references.map((refs) => refs[0]),
  { use_stemmer: true },
);
console.log(r.rouge1, r.rougeL); // number[] with use_aggregator: false

// Speech recognition: jiwer 4 (corpus rate = total edits / total reference words).
export const w = wer(['hello world', 'good morning'], ['hello there world', 'good morning']);
console.log(w.wer, w.hits, w.deletions); // 0.2 4 1

// Classification: scikit-learn, references first (y_true, y_pred).
export const macroF1 = f1Score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'macro' });
export const mcc = matthewsCorrcoef([1, 1, 1, -1], [1, -1, 1, 1]);
export const auc = rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
console.log(macroF1, mcc, auc); // 0.2666… -0.3333… 0.75

// Question answering (the official SQuAD v1.1 script) and GLUE (HF's glue metric).
console.log(squad(['Denver Broncos'], [['Denver Broncos', 'Broncos']])); // { exact_match: 100, f1: 100 }
console.log(glue('mrpc', [1, 1, 0, 1, 0], [1, 0, 0, 1, 1])); // { accuracy: 0.6, f1: 0.666… }

// Named entities: seqeval 1.2's default (conlleval) mode.
const ner = seqeval([['B-PER', 'I-PER', 'O', 'B-LOC']], [['B-PER', 'I-PER', 'O', 'B-ORG']]);
console.log(ner.overall_precision, ner.overall_recall); // 0.5 0.5
