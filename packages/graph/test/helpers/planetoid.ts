import { loadPlanetoid as load } from '@kd/data';
import { type NodeClassificationData, planetoidData } from '../../src/index.js';

/** Cora/CiteSeer from @kd/data's bundled files. */
export async function loadPlanetoid(name: 'cora' | 'citeseer'): Promise<NodeClassificationData> {
  return planetoidData(await load(name));
}
