export { repoRoot, toolPath, type ToolName } from '../../tools/lib/toolchain';
