import type { BridgeModel } from '@lmarena-bridge/contracts';

/** Whether the site says the model answers with images (`outputCapabilities.image`). */
export function isImageModel(model: Pick<BridgeModel, 'capabilities'>): boolean {
  const caps = model.capabilities;
  if (!caps || typeof caps !== 'object') return false;
  const output = (caps as { outputCapabilities?: unknown }).outputCapabilities;
  return !!output && typeof output === 'object' && !!(output as { image?: unknown }).image;
}

/** The name to list the model under: the site's public name, else its id. */
export function modelName(model: Pick<BridgeModel, 'id' | 'public_name'>): string {
  return model.public_name ?? model.id;
}

/**
 * The `models.json` entry for a reported model, in the original project's format:
 * `"<public name>": "<id>"`, or `"<id>:image"` for a model that answers with images.
 * JSON.stringify quotes and escapes both sides.
 */
export function modelsJsonLine(model: Pick<BridgeModel, 'id' | 'public_name' | 'capabilities'>): string {
  const target = isImageModel(model) ? `${model.id}:image` : model.id;
  return `${JSON.stringify(modelName(model))}: ${JSON.stringify(target)}`;
}

/** Models whose name, organization or id contains the filter text (case-insensitive). */
export function filterModels(models: readonly BridgeModel[], filter: string): BridgeModel[] {
  const needle = filter.trim().toLowerCase();
  if (!needle) return [...models];
  return models.filter((m) => [m.public_name, m.organization, m.id].some((v) => v?.toLowerCase().includes(needle)));
}
