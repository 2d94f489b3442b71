// Knowledge graphs and citation graphs, bundled in full.
import {
  knownTails,
  loadKnowledgeGraph,
  loadPlanetoid,
  planetoidEdgeIndex,
  withInverseTriples,
} from '@kd/data';

const umls = await loadKnowledgeGraph('umls');
console.log(umls.entities.length, umls.relations.length, umls.train.length / 3); // 135 46 5216
const train = withInverseTriples(umls.train, umls.relations.length); // ConvE / R-GCN style
const filter = knownTails(umls); // for filtered MRR / Hits@k
console.log(train.length / 3, filter.size);

const cora = await loadPlanetoid('cora');
const { src, dst } = planetoidEdgeIndex(cora, { selfLoops: true });
console.log(cora.numNodes, cora.numFeatures, cora.numClasses, src.length, cora.trainIdx.length); // 2708 1433 7 13264 140

export { cora, dst, umls };
