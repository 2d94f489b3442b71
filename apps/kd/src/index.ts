// The reference app's pieces, for tools built on it (the docs generator, the playground).

export { type DemoOptions, runDemo } from './demo/run-demo.js';
export { DEMO_SYSTEMS, type DemoSystem } from './demo/stages.js';
export { buildProgram, main } from './main.js';
export { builtinPlugins, loadPlugins, registerBuiltins } from './plugins.js';
export { bundledRecipes, type RecipeSummary, resolveRecipe } from './recipes.js';
export { asReportDocument, type ReportDocument, renderReport } from './report/html.js';
export { prepareRecipe, type RunOptions, runRecipe } from './runner.js';
