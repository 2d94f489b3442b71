#!/usr/bin/env node
// A committed entry so package managers can link `kd` before the first build
// (dist/ does not exist at install time).
import '../dist/bin.js';
