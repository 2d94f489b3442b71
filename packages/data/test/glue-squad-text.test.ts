import { FormatError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  buildWordVocab,
  loadGlue,
  loadSquad,
  loadTinyShakespeare,
  loadWikiText2,
  parseGlue,
  parseSquad,
  parseWikiText,
  splitTrainVal,
  streamGlue,
  wordLevelTokens,
} from '../src/index.js';

describe('GLUE TSV readers on the bundled files', () => {
  it('SST-2: full dev (872) and the 4,000-row train sample, binary labels', async () => {
    const dev = await loadGlue('sst2', 'validation');
    expect(dev.examples).toHaveLength(872);
    expect(dev.examples[0]).toEqual({
      idx: 0,
      text: "it 's a charming and often affecting journey . ",
      label: 1,
    });
    expect(dev.labelNames).toEqual(['negative', 'positive']);
    const train = await loadGlue('sst2', 'train');
    expect(train.examples).toHaveLength(4000);
    expect(new Set(train.examples.map((e) => e.label))).toEqual(new Set([0, 1]));
  });

  it('CoLA: headerless 4-column files (1,043 dev rows)', async () => {
    const dev = await loadGlue('cola', 'validation');
    expect(dev.examples).toHaveLength(1043);
    expect(dev.examples[0]).toMatchObject({
      text: 'The sailors rode the breeze clear of the rocks.',
      label: 1,
    });
    expect(dev.examples.filter((e) => e.label === 0).length).toBe(322); // GLUE CoLA dev: 322 unacceptable
  });

  it('RTE in the Hugging Face layout (sentence1, sentence2, label, idx), 0 = entailment', async () => {
    const train = await loadGlue('rte', 'train');
    expect(train.examples).toHaveLength(2490);
    expect(train.examples[0]).toMatchObject({
      text: 'No Weapons of Mass Destruction Found in Iraq Yet.',
      pair: 'Weapons of Mass Destruction Found in Iraq.',
      label: 1,
    });
    expect((await loadGlue('rte', 'validation')).examples).toHaveLength(277);
  });

  it('RTE in the original GLUE layout maps entailment/not_entailment to 0/1', () => {
    const text =
      'index\tsentence1\tsentence2\tlabel\n0\tA man sleeps.\tA man rests.\tentailment\n1\tx\ty\tnot_entailment\n';
    expect(parseGlue('rte', text).examples.map((e) => e.label)).toEqual([0, 1]);
  });

  it('STS-B: float scores in [0, 5] from the 10-column layout', async () => {
    const dev = await loadGlue('stsb', 'validation');
    expect(dev.examples).toHaveLength(1500);
    expect(dev.examples[0]).toMatchObject({
      text: 'A man with a hard hat is dancing.',
      pair: 'A man wearing a hard hat is dancing.',
      label: 5,
    });
    expect(dev.labelNames).toBeNull();
    expect(dev.examples.every((e) => e.label >= 0 && e.label <= 5)).toBe(true);
  });

  it('rejects malformed lines naming file, line and what was expected', () => {
    const bad = 'sentence\tlabel\ngood one\t1\nmissing label\n';
    expect(() => parseGlue('sst2', bad, { file: 'sst2/train.tsv' })).toThrow(FormatError);
    expect(() => parseGlue('sst2', bad, { file: 'sst2/train.tsv' })).toThrow(
      /^sst2\/train\.tsv:3: expected 2 tab-separated fields \(sentence, label\), found 1/,
    );
    expect(() => parseGlue('sst2', 'sentence\tlabel\nx\t2\n', { file: 'f' })).toThrow(
      /f:2: expected a label in \{0, 1\}, got "2"/,
    );
    expect(() => parseGlue('mrpc', 'not a header\n', { file: 'm' })).toThrow(
      /m:1: expected the MRPC header/,
    );
    expect(() =>
      parseGlue(
        'stsb',
        `${'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore'}\n0\tg\tf\ty\to\ts\ts\ta\tb\t7.5\n`,
        { file: 's' },
      ),
    ).toThrow(/s:2: expected a similarity score in \[0, 5\]/);
  });

  it('handles a BOM, CRLF line ends and the QQP space-before-label quirk', () => {
    const mrpc =
      '\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n1\t1\t2\tA "quoted" one\tB\r\n';
    expect(parseGlue('mrpc', mrpc).examples).toEqual([
      { idx: 0, text: 'A "quoted" one', pair: 'B', label: 1 },
    ]);
    const qqp = '1\t2\t3\tQ one?\tQ two? 0\n4\t5\t6\tQ3\tQ4\t1\n';
    const out = parseGlue('qqp', qqp, { file: 'qqp.tsv' });
    expect(out.examples.map((e) => [e.pair, e.label])).toEqual([
      ['Q two?', 0],
      ['Q4', 1],
    ]);
    expect(out.repairs).toEqual([{ lineNo: 1, note: 'space instead of TAB before the label' }]);
  });

  it('reads unlabeled GLUE test files (label -1)', () => {
    expect(parseGlue('sst2', 'index\tsentence\n0\tgreat film\n').examples).toEqual([
      { idx: 0, text: 'great film', label: -1 },
    ]);
    expect(parseGlue('qqp', 'id\tquestion1\tquestion2\n7\ta?\tb?\n').examples).toEqual([
      { idx: 0, text: 'a?', pair: 'b?', label: -1 },
    ]);
    expect(parseGlue('cola', 'index\tsentence\n0\tHe left.\n').examples[0].label).toBe(-1);
  });

  it('streams the same examples from byte chunks split mid-character', async () => {
    const text = 'sentence\tlabel\ncafé crème\t1\nnaïve\t0\n';
    const bytes = new TextEncoder().encode(text);
    const chunks = [bytes.slice(0, 19), bytes.slice(19, 20), bytes.slice(20)];
    const got = [];
    for await (const ex of streamGlue('sst2', chunks)) got.push(ex);
    expect(got).toEqual(parseGlue('sst2', text).examples);
  });
});

describe('SQuAD v1.1', () => {
  it('reads the bundled 6-article dev sample with offsets that match the context', async () => {
    const ds = await loadSquad();
    expect(ds.version).toBe('1.1');
    expect(ds.articles).toBe(6);
    expect(ds.examples).toHaveLength(2145);
    const first = ds.examples[0];
    expect(first.id).toBe('56be4db0acb8001400a502ec');
    expect(first.title).toBe('Super_Bowl_50');
    for (const ex of ds.examples) {
      ex.answers.text.forEach((t, k) => {
        expect(
          ex.context.slice(ex.answers.answerStart[k], ex.answers.answerStart[k] + t.length),
        ).toBe(t);
      });
    }
  });

  it('rejects a wrong answer offset and broken JSON with its line', () => {
    const doc = (start: number) =>
      JSON.stringify({
        version: '1.1',
        data: [
          {
            title: 't',
            paragraphs: [
              {
                context: 'abc def',
                qas: [{ id: 'q', question: '?', answers: [{ text: 'def', answer_start: start }] }],
              },
            ],
          },
        ],
      });
    expect(parseSquad(doc(4)).examples[0].answers.answerStart).toEqual([4]);
    expect(() => parseSquad(doc(3), { file: 'dev.json' })).toThrow(
      /dev\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]: expected answer "def" at context offset 3/,
    );
    expect(() => parseSquad('{\n "data": [\n oops ]}', { file: 'x.json' })).toThrow(
      /^x\.json:3:\d+: expected a SQuAD object/,
    );
  });
});

describe('text corpora', () => {
  it('Tiny Shakespeare: 1,115,394 characters, split 90/10 by position', async () => {
    const text = await loadTinyShakespeare();
    expect(text.length).toBe(1115394);
    expect(text.startsWith('First Citizen:\nBefore we proceed any further, hear me speak.')).toBe(
      true,
    );
    const { train, val } = splitTrainVal(text);
    expect(train.length).toBe(1003854);
    expect(train + val).toBe(text);
  });

  it('WikiText-2 validation: articles, <unk>, and word-level tokens with <eos> per line', async () => {
    const text = await loadWikiText2('validation');
    const { lines, articles } = parseWikiText(text);
    expect(lines).toHaveLength(3760);
    expect(articles[0].title).toBe('Homarus gammarus');
    expect(articles.length).toBe(60); // WikiText-2 validation holds 60 articles
    const tokens = wordLevelTokens(text);
    expect(tokens.filter((t) => t === '<eos>')).toHaveLength(3760);
    expect(tokens.length).toBe(217646 + 0); // PyTorch word_language_model: valid has 217,646 tokens
    const vocab = buildWordVocab(tokens);
    expect(vocab.ids.length).toBe(tokens.length);
    expect(vocab.words[vocab.ids[5]]).toBe(tokens[5]);
    expect(() => parseWikiText('no leading space\n', { file: 'w.txt' })).toThrow(
      /w\.txt:1: expected an empty line or one starting with a space/,
    );
  });
});

describe('SQuAD errors in a pretty-printed file', () => {
  it('name the line of the question whose answer is wrong', () => {
    const doc = {
      version: '1.1',
      data: [
        {
          title: 't',
          paragraphs: [
            {
              context: 'abc def',
              qas: [{ id: 'q1', question: '?', answers: [{ text: 'def', answer_start: 1 }] }],
            },
          ],
        },
      ],
    };
    const text = JSON.stringify(doc, null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('"q1"')) + 1;
    expect(() => parseSquad(text, { file: 'dev.json' })).toThrow(
      new RegExp(`^dev\\.json:${line}: data\\[0\\]`),
    );
  });
});
