// Generates src/gen/ from ../openapi.json (the document a running
// `passforge serve` answers at /openapi.json; ../generate.sh fetches it).
/** @type {import('@hey-api/openapi-ts').UserConfig} */
export default {
  input: '../openapi.json',
  output: { path: 'src/gen' },
  plugins: ['@hey-api/typescript', '@hey-api/client-fetch', '@hey-api/sdk'],
};
