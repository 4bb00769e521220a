// pdf.js's worker code, bundled into the frame's script and run there as its "fake worker".
declare module 'pdfjs-dist/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
