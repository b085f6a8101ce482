/**
 * Input data and file formats: the prompts table's record ({@link org.dfcspark.data.PromptRecord}) with its
 * converters from each source ({@link org.dfcspark.data.PromptConverter}: {@link org.dfcspark.data.ToolRlConverter},
 * {@link org.dfcspark.data.BfclConverter}, {@link org.dfcspark.data.ShareGptConverter},
 * {@link org.dfcspark.data.TextConverter}; bad items become {@link org.dfcspark.data.QuarantinedRow}s), its JSON Lines
 * form ({@link org.dfcspark.data.PromptTableJson}) and its rendering into model text
 * ({@link org.dfcspark.data.Rendering}, {@link org.dfcspark.data.TeacherForcing}); safetensors
 * ({@link org.dfcspark.data.SafeTensors}, {@link org.dfcspark.data.SafeTensorsWriter}) and the activation codecs
 * ({@link org.dfcspark.data.ActivationCodec}, {@link org.dfcspark.data.HalfFloats}). Python-produced JSON is read
 * with {@link org.dfcspark.py.PythonJson#parse}. No Spark (the Spark schema of the table is
 * {@code org.dfcspark.jobs.prompts.PromptsTable}). Schemas: data-schemas/prompts.md, data-schemas/activations.md;
 * docs/DESIGN.md "Prompts table, readers and rendering".
 */
package org.dfcspark.data;
