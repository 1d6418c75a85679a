/** `GET /v1/models` entries, with vLLM's `max_model_len` and `root` extensions. */
export interface ModelCard {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  root: string;
  parent: null;
  max_model_len: number;
}

export interface ModelList {
  object: "list";
  data: ModelCard[];
}
