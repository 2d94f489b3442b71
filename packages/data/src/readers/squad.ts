import { FormatError } from '@kd/core';
import { lineColumn, parseJson } from '../io/lines.js';

/** One SQuAD question with its context, flattened as Hugging Face `datasets` does. */
export interface SquadExample {
  id: string;
  title: string;
  context: string;
  question: string;
  /** Gold answers (several annotators in dev); `answerStart` indexes `context` in UTF-16 units, as JS strings do. */
  answers: { text: string[]; answerStart: number[] };
}

export interface SquadDataset {
  version: string;
  /** Number of articles (titles). */
  articles: number;
  examples: SquadExample[];
}

/**
 * Parses SQuAD v1.1 JSON (`{ version, data: [{ title, paragraphs: [{ context,
 * qas: [{ id, question, answers: [{ text, answer_start }] }] }] }] }`).
 * Every answer is checked to be the context slice it claims to be, so an
 * off-by-one offset fails here rather than as a silently wrong F1.
 */
export function parseSquad(
  text: string,
  options: { file?: string; checkAnswers?: boolean } = {},
): SquadDataset {
  const file = options.file ?? 'squad.json';
  const root = parseJson(text, file, 'a SQuAD object { version, data }') as {
    version?: unknown;
    data?: unknown;
  };
  // SQuAD files are often one line, so errors name the JSON path; in a
  // pretty-printed file the line of the nearest question id is added too.
  let anchor: string | undefined;
  const multiline = text.includes('\n');
  const fail = (path: string, expected: string, found: unknown) => {
    const at = multiline && anchor !== undefined ? text.indexOf(JSON.stringify(anchor)) : -1;
    const where = at >= 0 ? `${file}:${lineColumn(text, at).line}` : file;
    return new FormatError(`${path}: expected ${expected}, got ${describe(found)}`, { where });
  };
  if (!root || typeof root !== 'object' || !Array.isArray(root.data))
    throw fail('$', 'an object with a "data" array', root);
  const examples: SquadExample[] = [];
  root.data.forEach((article: { title?: unknown; paragraphs?: unknown }, a: number) => {
    const ap = `data[${a}]`;
    if (typeof article?.title !== 'string') throw fail(`${ap}.title`, 'a string', article?.title);
    if (!Array.isArray(article.paragraphs))
      throw fail(`${ap}.paragraphs`, 'an array', article.paragraphs);
    article.paragraphs.forEach((para: { context?: unknown; qas?: unknown }, p: number) => {
      const pp = `${ap}.paragraphs[${p}]`;
      if (typeof para?.context !== 'string') throw fail(`${pp}.context`, 'a string', para?.context);
      if (!Array.isArray(para.qas)) throw fail(`${pp}.qas`, 'an array', para.qas);
      const context = para.context;
      para.qas.forEach((qa: { id?: unknown; question?: unknown; answers?: unknown }, q: number) => {
        const qp = `${pp}.qas[${q}]`;
        if (typeof qa?.id !== 'string') throw fail(`${qp}.id`, 'a string', qa?.id);
        anchor = qa.id;
        if (typeof qa.question !== 'string') throw fail(`${qp}.question`, 'a string', qa.question);
        if (!Array.isArray(qa.answers)) throw fail(`${qp}.answers`, 'an array', qa.answers);
        const answers = { text: [] as string[], answerStart: [] as number[] };
        qa.answers.forEach((ans: { text?: unknown; answer_start?: unknown }, k: number) => {
          const kp = `${qp}.answers[${k}]`;
          if (typeof ans?.text !== 'string') throw fail(`${kp}.text`, 'a string', ans?.text);
          const start = ans.answer_start;
          if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
            throw fail(`${kp}.answer_start`, 'a non-negative integer', start);
          }
          if (
            (options.checkAnswers ?? true) &&
            context.slice(start, start + ans.text.length) !== ans.text
          ) {
            throw fail(
              `${kp}`,
              `answer ${describe(ans.text)} at context offset ${start}`,
              context.slice(start, start + ans.text.length),
            );
          }
          answers.text.push(ans.text);
          answers.answerStart.push(start);
        });
        examples.push({
          id: qa.id,
          title: article.title as string,
          context,
          question: qa.question,
          answers,
        });
      });
    });
  });
  return { version: String(root.version ?? ''), articles: root.data.length, examples };
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return `array(${v.length})`;
  return v === null ? 'null' : typeof v === 'object' ? 'object' : String(v);
}
