#!/usr/bin/env node
// Compiles AnswerNFT.sol with solcjs (the npm `solc` package: the compiler as wasm, nothing
// downloaded) and writes qa_service/contracts/AnswerNFT.json, the artifact the Python side
// deploys and calls without Node. The output is deterministic (sorted keys, two-space
// indent, trailing newline), so the checked-in file can be compared with a fresh compile.
//
//   node compile.js           write the artifact
//   node compile.js --check   compile in memory; exit 1 if the checked-in artifact differs
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const CONTRACT = "AnswerNFT";
const SOURCE = `${CONTRACT}.sol`;
const HERE = __dirname;
const NODE_MODULES = path.join(HERE, "node_modules");
const ARTIFACT = path.join(HERE, "..", "qa_service", "contracts", `${CONTRACT}.json`);
// Cancun: OpenZeppelin 5.x's Strings (imported by ERC721) uses MCOPY, so paris/shanghai do
// not compile; py-evm (eth-tester) runs Cancun, and so do Ethereum and the major L2s.
const EVM_VERSION = "cancun";

// `@openzeppelin/...` (and any other package path) comes from contracts/node_modules only.
function findImports(importPath) {
  const file = path.resolve(NODE_MODULES, importPath);
  if (!file.startsWith(NODE_MODULES + path.sep)) return { error: `import outside node_modules: ${importPath}` };
  try {
    return { contents: fs.readFileSync(file, "utf8") };
  } catch (err) {
    return { error: `cannot read ${importPath} (run npm ci in contracts/): ${err.code || err.message}` };
  }
}

function compile() {
  const input = {
    language: "Solidity",
    sources: { [SOURCE]: { content: fs.readFileSync(path.join(HERE, SOURCE), "utf8") } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: EVM_VERSION,
      outputSelection: { [SOURCE]: { [CONTRACT]: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors || [];
  for (const problem of problems) {
    // formattedMessage names file:line:column and shows the line.
    process.stderr.write((problem.formattedMessage || `${problem.severity}: ${problem.message}`).trimEnd() + "\n");
  }
  const failed = problems.some((problem) => problem.severity === "error");
  const contract = output.contracts && output.contracts[SOURCE] && output.contracts[SOURCE][CONTRACT];
  if (failed || !contract) return null;
  return {
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
    compiler: solc.version(),
    contractName: CONTRACT,
    deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
  };
}

// Object keys sorted at every level; arrays keep their order (solc's ABI order is stable).
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
  }
  return value;
}

function render(artifact) {
  return JSON.stringify(sortKeys(artifact), null, 2) + "\n";
}

function main(argv) {
  const check = argv.includes("--check");
  const unknown = argv.filter((arg) => arg !== "--check");
  if (unknown.length) {
    process.stderr.write(`usage: node compile.js [--check] (unknown: ${unknown.join(" ")})\n`);
    return 2;
  }
  const artifact = compile();
  if (!artifact) {
    process.stderr.write(`compile.js: ${SOURCE} did not compile\n`);
    return 1;
  }
  const text = render(artifact);
  const shown = path.relative(process.cwd(), ARTIFACT);
  if (!check) {
    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    fs.writeFileSync(ARTIFACT, text);
    process.stdout.write(`wrote ${shown} (${artifact.compiler}, evm ${EVM_VERSION})\n`);
    return 0;
  }
  let stored;
  try {
    stored = fs.readFileSync(ARTIFACT, "utf8");
  } catch (err) {
    process.stderr.write(`${shown}: missing (${err.code}); run node contracts/compile.js\n`);
    return 1;
  }
  if (stored === text) {
    process.stdout.write(`${shown} is up to date\n`);
    return 0;
  }
  let differing;
  try {
    const old = JSON.parse(stored);
    const fresh = JSON.parse(text);
    const keys = [...new Set([...Object.keys(old), ...Object.keys(fresh)])].sort();
    differing = keys.filter((key) => JSON.stringify(sortKeys(old[key])) !== JSON.stringify(fresh[key]));
    if (!differing.length) differing = ["formatting"];
  } catch (err) {
    differing = [`not JSON: ${err.message}`];
  }
  process.stderr.write(`${shown} differs from a fresh compile (${differing.join(", ")}); run node contracts/compile.js\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
