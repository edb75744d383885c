// ONNX Runtime (CPU, npm onnxruntime-node) on one model, for `deeper compare --ort`: a session with ORT's
// profiler on (each node's kernel time, every run) and one without it (the whole model's time, which
// profiling would inflate), the same input, warm-up and median as Deeper's executables.
//   node ort_profile.js NODE_MODULES MODEL.onnx N,C,H,W THREADS RUNS OUTDIR
// writes OUTDIR/ort_*.json (ORT's trace) and prints median_ms=...
const path = require('path');
const fs = require('fs');

async function timeRuns(session, feeds, runs) {
  for (let i = 0; i < Math.max(3, runs / 10); ++i) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < runs; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return ms.length % 2 ? ms[(ms.length - 1) / 2] : 0.5 * (ms[ms.length / 2 - 1] + ms[ms.length / 2]);
}

async function main() {
  const [modules, model, dims, threads, runsText, outdir] = process.argv.slice(2);
  const ort = require(path.join(modules, 'onnxruntime-node'));
  const shape = dims.split(',').map(Number), runs = Number(runsText);
  const options = {intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'};
  const data = new Float32Array(shape.reduce((a, b) => a * b));
  for (let i = 0; i < data.length; ++i) data[i] = Math.sin(0.001 * i);
  let session = await ort.InferenceSession.create(model, options);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, shape)};
  const median = await timeRuns(session, feeds, runs);
  await session.release();
  session = await ort.InferenceSession.create(model, {...options, enableProfiling: true, profileFilePrefix: path.join(outdir, 'ort')});
  await timeRuns(session, feeds, runs);
  session.endProfiling();
  await session.release();
  if (!fs.readdirSync(outdir).some((f) => f.startsWith('ort') && f.endsWith('.json'))) throw new Error('ORT wrote no profile');
  console.log(`median_ms=${median.toFixed(3)}`);
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
