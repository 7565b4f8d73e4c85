// half done: the file throws as soon as it is imported
import type { Matrix } from '../lib/types';
const config = JSON.parse('{ not json');
export function denseForward(x: Matrix): Matrix { return config.scale ? x : x; }
