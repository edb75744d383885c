// Times ONNX Runtime (CPU, npm onnxruntime-node) on one model: warm-up, then RUNS timed runs of a
// fixed input; prints the median like Deeper's executables do.
//   node ort_bench.js MODEL.onnx N,C,H,W THREADS RUNS
const ort = require('onnxruntime-node');

async function main() {
  const [model, dims, threads, runs] = process.argv.slice(2);
  const shape = dims.split(',').map(Number);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const data = new Float32Array(shape.reduce((a, b) => a * b));
  for (let i = 0; i < data.length; ++i) data[i] = Math.sin(0.001 * i);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, shape)};
  for (let i = 0; i < Math.max(3, Number(runs) / 10); ++i) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < Number(runs); ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const mid = ms.length % 2 ? ms[(ms.length - 1) / 2] : 0.5 * (ms[ms.length / 2 - 1] + ms[ms.length / 2]);
  console.log(`median_ms=${mid.toFixed(3)} min_ms=${ms[0].toFixed(3)} max_ms=${ms[ms.length - 1].toFixed(3)}`);
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
