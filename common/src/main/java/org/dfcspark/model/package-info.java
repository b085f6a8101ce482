/**
 * The Qwen2 runtime on DJL/libtorch: {@link org.dfcspark.model.Qwen2Config} (config.json, fields named as in the file),
 * {@link org.dfcspark.model.Checkpoint} (safetensors weights, single or sharded), {@link org.dfcspark.model.Qwen2Model}
 * (the forward pass of HF's {@code modeling_qwen2.py}), {@link org.dfcspark.model.Generator} with its
 * {@link org.dfcspark.model.KvCache}, and the activation sites ({@link org.dfcspark.model.HookPoint}, TransformerLens
 * names) with edits as values ({@link org.dfcspark.model.Intervention}, {@link org.dfcspark.model.ResidualRewrite}).
 * {@link org.dfcspark.model.ModelCache} shares one loaded model per JVM (a Spark executor's tasks). Uses only
 * {@code data} (safetensors) and {@code io}; nothing of crosscoders, scoring or Spark. The model directory is Hugging
 * Face's own format; docs/DESIGN.md "Qwen2 runtime".
 */
package org.dfcspark.model;
