import { loadKnowledgeGraph } from '@kd/data';
import { type KnowledgeGraphData, knowledgeGraphData } from '../../src/index.js';

/** A bundled KG (Kinship, UMLS, Nations) from @kd/data. */
export async function loadKg(name: 'umls' | 'kinship' | 'nations'): Promise<KnowledgeGraphData> {
  return knowledgeGraphData(await loadKnowledgeGraph(name), name);
}
