import { type Line, lineError, splitLines, streamLines } from '../io/lines.js';

export type GlueTask = 'sst2' | 'cola' | 'mrpc' | 'qqp' | 'rte' | 'stsb';

/** One GLUE example. `label` is a class index, the STS-B score (0–5), or -1 in unlabeled test files. */
export interface GlueExample {
  /** 0-based row index in the file (HF datasets' `idx`). */
  idx: number;
  text: string;
  /** Second sentence of pair tasks (MRPC, QQP, RTE, STS-B). */
  pair?: string;
  label: number;
}

export interface GlueSplit {
  task: GlueTask;
  examples: GlueExample[];
  /** Class names by label index; null for the STS-B regression task. */
  labelNames: readonly string[] | null;
  /** Lines accepted after repairing a known quirk (QQP's space before the label). */
  repairs: { lineNo: number; note: string }[];
}

interface TaskInfo {
  labelNames: readonly string[] | null;
  pair: boolean;
  /** Header lines this reader recognises, by layout name. */
  headers: Record<string, string>;
  /** Layout used when the first line is not a header. */
  headerless?: string;
}

/** Label conventions are GLUE's (and Hugging Face datasets'). */
export const GLUE_TASKS: Record<GlueTask, TaskInfo> = {
  sst2: {
    labelNames: ['negative', 'positive'],
    pair: false,
    headers: { train: 'sentence\tlabel', test: 'index\tsentence' },
    headerless: 'train',
  },
  cola: {
    labelNames: ['unacceptable', 'acceptable'],
    pair: false,
    headers: { test: 'index\tsentence' },
    headerless: 'train',
  },
  mrpc: {
    labelNames: ['not_equivalent', 'equivalent'],
    pair: true,
    headers: {
      train: 'Quality\t#1 ID\t#2 ID\t#1 String\t#2 String',
      test: 'index\t#1 ID\t#2 ID\t#1 String\t#2 String',
    },
  },
  qqp: {
    labelNames: ['not_duplicate', 'duplicate'],
    pair: true,
    headers: {
      train: 'id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate',
      test: 'id\tquestion1\tquestion2',
    },
    headerless: 'train',
  },
  rte: {
    labelNames: ['entailment', 'not_entailment'],
    pair: true,
    headers: {
      glue: 'index\tsentence1\tsentence2\tlabel',
      hf: 'sentence1\tsentence2\tlabel\tidx',
      test: 'index\tsentence1\tsentence2',
    },
  },
  stsb: {
    labelNames: null,
    pair: true,
    headers: {
      train:
        'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore',
      test: 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2',
    },
  },
};

/** Parses GLUE rows for one task, line by line (so whole files and streams share it). */
export class GlueRowParser {
  readonly task: GlueTask;
  readonly file: string;
  readonly repairs: { lineNo: number; note: string }[] = [];
  #layout: string | undefined;
  #idx = 0;

  constructor(task: GlueTask, file = `${task}.tsv`) {
    this.task = task;
    this.file = file;
  }

  /** The example on this line, or undefined for the header line. */
  push(line: Line): GlueExample | undefined {
    const info = GLUE_TASKS[this.task];
    if (this.#layout === undefined) {
      const header = Object.entries(info.headers).find(([, h]) => h === line.text);
      if (header) {
        this.#layout = header[0];
        return undefined;
      }
      if (!info.headerless) {
        throw lineError(
          this.file,
          line.lineNo,
          `the ${this.task.toUpperCase()} header, one of ${Object.values(info.headers)
            .map((h) => JSON.stringify(h))
            .join(' or ')}`,
          line.text,
        );
      }
      this.#layout = info.headerless;
    }
    if (line.text === '') throw lineError(this.file, line.lineNo, 'a row, not an empty line', '');
    const f = line.text.split('\t');
    const ex = this.#row(f, line);
    ex.idx = this.#idx++;
    return ex;
  }

  #row(f: string[], line: Line): GlueExample {
    const { file, task } = this;
    const layout = this.#layout as string;
    const need = (n: number, what: string) => {
      if (f.length !== n)
        throw lineError(
          file,
          line.lineNo,
          `${n} tab-separated fields (${what}), found ${f.length}`,
          line.text,
        );
    };
    const label = (s: string, names: Record<string, number>) => {
      const v = names[s];
      if (v === undefined)
        throw lineError(file, line.lineNo, `a label in {${Object.keys(names).join(', ')}}`, s);
      return v;
    };
    const binary = { '0': 0, '1': 1 };
    if (layout === 'test') {
      if (task === 'sst2' || task === 'cola') {
        need(2, 'index, sentence');
        return { idx: 0, text: f[1], label: -1 };
      }
      if (task === 'qqp') {
        need(3, 'id, question1, question2');
        return { idx: 0, text: f[1], pair: f[2], label: -1 };
      }
      if (task === 'mrpc') {
        need(5, 'index, #1 ID, #2 ID, #1 String, #2 String');
        return { idx: 0, text: f[3], pair: f[4], label: -1 };
      }
      if (task === 'rte') {
        need(3, 'index, sentence1, sentence2');
        return { idx: 0, text: f[1], pair: f[2], label: -1 };
      }
      need(9, 'index … sentence1, sentence2');
      return { idx: 0, text: f[7], pair: f[8], label: -1 };
    }
    switch (task) {
      case 'sst2':
        need(2, 'sentence, label');
        return { idx: 0, text: f[0], label: label(f[1], binary) };
      case 'cola':
        need(4, 'source, label, original mark, sentence');
        return { idx: 0, text: f[3], label: label(f[1], binary) };
      case 'mrpc':
        need(5, 'Quality, #1 ID, #2 ID, #1 String, #2 String');
        return { idx: 0, text: f[3], pair: f[4], label: label(f[0], binary) };
      case 'qqp': {
        if (f.length === 5) {
          // Known quirk: a space instead of the TAB before the label.
          const m = /^(.*) ([01])$/.exec(f[4]);
          if (m) {
            this.repairs.push({
              lineNo: line.lineNo,
              note: 'space instead of TAB before the label',
            });
            f = [...f.slice(0, 4), m[1], m[2]];
          }
        }
        need(6, 'id, qid1, qid2, question1, question2, is_duplicate');
        return { idx: 0, text: f[3], pair: f[4], label: label(f[5], binary) };
      }
      case 'rte':
        need(
          4,
          layout === 'hf'
            ? 'sentence1, sentence2, label, idx'
            : 'index, sentence1, sentence2, label',
        );
        return layout === 'hf'
          ? { idx: 0, text: f[0], pair: f[1], label: label(f[2], binary) }
          : {
              idx: 0,
              text: f[1],
              pair: f[2],
              label: label(f[3], { entailment: 0, not_entailment: 1 }),
            };
      case 'stsb': {
        need(
          10,
          'index, genre, filename, year, old_index, source1, source2, sentence1, sentence2, score',
        );
        const score = Number(f[9]);
        if (f[9] === '' || !Number.isFinite(score) || score < 0 || score > 5) {
          throw lineError(file, line.lineNo, 'a similarity score in [0, 5]', f[9]);
        }
        return { idx: 0, text: f[7], pair: f[8], label: score };
      }
    }
  }
}

/** Parses a whole GLUE TSV file (UTF-8 text, BOM and CRLF tolerated; QUOTE_NONE like GLUE's loaders). */
export function parseGlue(
  task: GlueTask,
  text: string,
  options: { file?: string } = {},
): GlueSplit {
  const parser = new GlueRowParser(task, options.file);
  const examples: GlueExample[] = [];
  for (const line of splitLines(text)) {
    const ex = parser.push(line);
    if (ex) examples.push(ex);
  }
  return { task, examples, labelNames: GLUE_TASKS[task].labelNames, repairs: parser.repairs };
}

/** Streams GLUE examples from chunks of a large file (e.g. the 364k-row QQP train). */
export async function* streamGlue(
  task: GlueTask,
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: { file?: string } = {},
): AsyncGenerator<GlueExample> {
  const parser = new GlueRowParser(task, options.file);
  for await (const line of streamLines(chunks)) {
    const ex = parser.push(line);
    if (ex) yield ex;
  }
}
