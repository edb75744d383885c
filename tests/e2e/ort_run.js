// Runs an ONNX model in ONNX Runtime (CPU) on raw float32 inputs and writes raw float32 outputs:
//   node ort_run.js MODEL.onnx INPUT_NAME=in.f32:N,C,H,W OUTPUT_NAME=out.f32 [...]
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, ...specs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {intraOpNumThreads: 2, graphOptimizationLevel: 'all'});
  const feeds = {}, outputs = [];
  for (const spec of specs) {
    const [name, rest] = spec.split('=');
    const [file, dims] = rest.split(':');
    if (dims) {
      const bytes = fs.readFileSync(file);
      const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      feeds[name] = new ort.Tensor('float32', data, dims.split(',').map(Number));
    } else {
      outputs.push([name, file]);
    }
  }
  const results = await session.run(feeds);
  for (const [name, file] of outputs) fs.writeFileSync(file, Buffer.from(results[name].data.buffer));
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
