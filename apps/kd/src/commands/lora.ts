import { formatBytes } from '@kd/core';
import type { AdapterInspection } from '@kd/lora';
import { inspectAdapterDirectory, mergeAdapterDirectories } from '@kd/lora/node';
import type { Command } from 'commander';
import { printJson, renderTable } from '../output.js';

const count = (n: number) => n.toLocaleString('en-US');

function renderInspection(dir: string, info: AdapterInspection): string {
  const c = info.config;
  const lines: string[] = [];
  const targets = Array.isArray(c.targetModules)
    ? c.targetModules.join(', ')
    : String(c.targetModules);
  const variant = [
    c.useDora ? 'DoRA' : 'LoRA',
    c.useRslora ? 'rsLoRA scaling α/√r' : 'scaling α/r',
  ].join(', ');
  lines.push(
    `${dir}: PEFT LoRA adapter (${variant})`,
    `  task_type: ${c.taskType ?? '(none)'}   base: ${c.baseModelNameOrPath ?? '(not recorded)'}   peft_version: ${String(info.extra.peft_version ?? '(not recorded)')}`,
    `  r: ${c.r}   lora_alpha: ${c.loraAlpha}   lora_dropout: ${c.loraDropout}   bias: ${c.bias}   init_lora_weights: ${JSON.stringify(c.initLoraWeights)}`,
    `  target_modules: ${targets}`,
  );
  if (c.excludeModules) lines.push(`  exclude_modules: ${JSON.stringify(c.excludeModules)}`);
  if (c.layersToTransform !== null)
    lines.push(`  layers_to_transform: ${JSON.stringify(c.layersToTransform)}`);
  if (Object.keys(c.rankPattern).length)
    lines.push(`  rank_pattern: ${JSON.stringify(c.rankPattern)}`);
  if (Object.keys(c.alphaPattern).length)
    lines.push(`  alpha_pattern: ${JSON.stringify(c.alphaPattern)}`);
  if (c.modulesToSave) lines.push(`  modules_to_save: ${c.modulesToSave.join(', ')}`);
  lines.push('');
  lines.push(
    renderTable(
      ['module', 'kind', 'r', 'in → out', 'scaling', 'parameters'],
      info.modules.map((m) => [
        m.path,
        `${m.kind}${m.dora ? ' +DoRA' : ''}${m.loraBias ? ' +bias' : ''}`,
        String(m.r),
        `${m.in} → ${m.out}`,
        Number.isInteger(m.scaling) ? String(m.scaling) : m.scaling.toFixed(4),
        count(m.parameters),
      ]),
      [false, false, true, true, true, true],
    ),
  );
  if (info.saved.length > 0) {
    lines.push('', 'saved in full (modules_to_save, biases):');
    lines.push(
      renderTable(
        ['tensor', 'shape', 'parameters'],
        info.saved.map((s) => [s.name, `[${s.shape.join(', ')}]`, count(s.parameters)]),
        [false, false, true],
      ),
    );
  }
  const dtypes = Object.entries(info.dtypes)
    .map(([d, n]) => `${n} ${d}`)
    .join(', ');
  lines.push(
    '',
    `${count(info.modules.length)} adapted modules, ${count(info.totals.adapterParameters)} adapter parameters + ${count(info.totals.savedParameters)} saved in full; ${count(info.totals.tensors)} tensors (${dtypes}), ${formatBytes(info.totals.bytes)}`,
  );
  for (const w of info.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export function registerLora(program: Command): void {
  const lora = program.command('lora').description('LoRA adapters in Hugging Face PEFT format');

  lora
    .command('inspect')
    .description("show a PEFT adapter directory's config, targets, ranks and parameter counts")
    .argument('<dir>', 'adapter directory (adapter_config.json + adapter_model.safetensors)')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const info = await inspectAdapterDirectory(dir);
      if (opts.json) return printJson({ dir, ...info });
      process.stdout.write(renderInspection(dir, info));
    });

  lora
    .command('merge')
    .description(
      'merge a PEFT LoRA adapter into its base model and write a plain Hugging Face model directory (loads without PEFT)',
    )
    .requiredOption('--base <dir>', 'base model directory (config.json + model.safetensors)')
    .requiredOption(
      '--adapter <dir>',
      'adapter directory (adapter_config.json + adapter_model.safetensors)',
    )
    .requiredOption('--out <dir>', 'where to write the merged model directory')
    .option(
      '--architecture <name>',
      'build this architecture from the base checkpoint (e.g. BertForSequenceClassification for a SEQ_CLS adapter on a BertModel base)',
    )
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        base: string;
        adapter: string;
        out: string;
        architecture?: string;
        json?: boolean;
      }) => {
        const warnings: string[] = [];
        const { model, loaded } = await mergeAdapterDirectories({
          base: opts.base,
          adapter: opts.adapter,
          out: opts.out,
          loadOptions: opts.architecture ? { architecture: opts.architecture } : undefined,
          onWarning: (w) => warnings.push(w),
        });
        const summary = {
          out: opts.out,
          architecture: model.constructor.name,
          mergedModules: loaded.report.modules.length,
          modulesToSave: loaded.report.modulesToSave,
          parameters: model.parameterCount(),
          adapterDtypes: loaded.report.dtypes,
          warnings,
        };
        model.dispose();
        if (opts.json) return printJson(summary);
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write(
          `merged ${summary.mergedModules} adapted modules${summary.modulesToSave.length ? ` and replaced ${summary.modulesToSave.join(', ')} (modules_to_save)` : ''} into ${summary.architecture} (${count(summary.parameters)} parameters); wrote ${opts.out}/config.json and ${opts.out}/model.safetensors\n`,
        );
      },
    );
}
