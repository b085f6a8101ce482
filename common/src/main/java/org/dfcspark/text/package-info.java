/**
 * Text into token ids the way Hugging Face does it: {@link org.dfcspark.text.Tokenizer} (DJL's HF tokenizers, no
 * truncation), {@link org.dfcspark.text.ChatTemplate} (the model's Jinja chat template on Jinjava, with Python's
 * {@code tojson} through {@link org.dfcspark.py.PythonJson}) and {@link org.dfcspark.text.ModelConfigFiles}
 * (tokenizer_config.json, generation_config.json). Depends only on {@code py}; nothing of models, data or Spark.
 * docs/DESIGN.md "Text: tokenizer and chat templates".
 */
package org.dfcspark.text;
