// Real sentences from the bundled samples: SST-2 train (4,000), SQuAD contexts and
// questions, Tiny Shakespeare lines, WikiText-2 validation lines.
import { loadGlue, loadSquad, loadTinyShakespeare, loadWikiText2 } from '../dist/index.js';

export async function benchCorpus() {
  const sst2 = (await loadGlue('sst2', 'train')).examples.map((e) => e.text);
  const squad = await loadSquad();
  const contexts = [...new Set(squad.examples.map((e) => e.context))];
  const questions = squad.examples.map((e) => e.question);
  const shakespeare = (await loadTinyShakespeare())
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 4000);
  const wiki = (await loadWikiText2())
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 1000);
  return [...sst2, ...contexts, ...questions, ...shakespeare, ...wiki];
}
