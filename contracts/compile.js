#!/usr/bin/env node
// Compiles the contracts in CONTRACTS with solcjs (the npm `solc` package: the compiler as
// wasm, nothing downloaded) and writes one artifact per contract: ABI, creation and runtime
// bytecode, compiler version. qa_service/contracts/AnswerNFT.json is what the Python side
// deploys and calls without Node; tests/contracts/OwnedWallet.json is a test-only wallet. The
// output is deterministic (sorted keys, two-space indent, trailing newline), so a checked-in
// artifact can be compared with a fresh compile.
//
//   node compile.js           write every artifact
//   node compile.js --check   compile in memory; exit 1 if any checked-in artifact differs
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const HERE = __dirname;
const REPO = path.join(HERE, "..");
const NODE_MODULES = path.join(HERE, "node_modules");
// Each contract is compiled on its own, its source named by its path under contracts/: the
// source name is part of the metadata hash at the end of the bytecode, so renaming a source
// or compiling it together with others would change the artifact's bytes.
const CONTRACTS = [
  { name: "AnswerNFT", source: "AnswerNFT.sol", artifact: path.join(REPO, "qa_service", "contracts", "AnswerNFT.json") },
  // Test-only EIP-1271 contract wallet (sign-in with a contract account); never shipped.
  { name: "OwnedWallet", source: "test/OwnedWallet.sol", artifact: path.join(REPO, "tests", "contracts", "OwnedWallet.json") },
];
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

function compile({ name, source }) {
  const input = {
    language: "Solidity",
    sources: { [source]: { content: fs.readFileSync(path.join(HERE, source), "utf8") } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: EVM_VERSION,
      outputSelection: { [source]: { [name]: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors || [];
  for (const problem of problems) {
    // formattedMessage names file:line:column and shows the line.
    process.stderr.write((problem.formattedMessage || `${problem.severity}: ${problem.message}`).trimEnd() + "\n");
  }
  const failed = problems.some((problem) => problem.severity === "error");
  const contract = output.contracts && output.contracts[source] && output.contracts[source][name];
  if (failed || !contract) return null;
  return {
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
    compiler: solc.version(),
    contractName: name,
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

// --check for one artifact: true when the checked-in file equals `text`, else says why not.
function isCurrent(file, text) {
  const shown = path.relative(process.cwd(), file);
  let stored;
  try {
    stored = fs.readFileSync(file, "utf8");
  } catch (err) {
    process.stderr.write(`${shown}: missing (${err.code}); run node contracts/compile.js\n`);
    return false;
  }
  if (stored === text) {
    process.stdout.write(`${shown} is up to date\n`);
    return true;
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
  return false;
}

function main(argv) {
  const check = argv.includes("--check");
  const unknown = argv.filter((arg) => arg !== "--check");
  if (unknown.length) {
    process.stderr.write(`usage: node compile.js [--check] (unknown: ${unknown.join(" ")})\n`);
    return 2;
  }
  // Compile everything before writing anything: one broken source leaves every artifact as it was.
  const built = [];
  for (const contract of CONTRACTS) {
    const artifact = compile(contract);
    if (!artifact) {
      process.stderr.write(`compile.js: ${contract.source} did not compile\n`);
      return 1;
    }
    built.push({ contract, artifact, text: render(artifact) });
  }
  if (check) {
    // Every artifact is checked (and reported), not just the first stale one.
    const current = built.map(({ contract, text }) => isCurrent(contract.artifact, text));
    return current.every(Boolean) ? 0 : 1;
  }
  for (const { contract, artifact, text } of built) {
    fs.mkdirSync(path.dirname(contract.artifact), { recursive: true });
    fs.writeFileSync(contract.artifact, text);
    const shown = path.relative(process.cwd(), contract.artifact);
    process.stdout.write(`wrote ${shown} (${artifact.compiler}, evm ${EVM_VERSION})\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
