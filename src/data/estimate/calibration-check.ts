import { calibrate, fitIsotonic } from './isotonic.js';
import { rocAuc } from './realized.js';

/**
 * Whether isotonic calibration makes the reference's scores better calibrated, decided as NannyML does: skip it
 * when one class only or ROC AUC > 0.999; otherwise calibrate held-out folds on the rest and compare the expected
 * calibration error (10 equal-count bins over the pooled held-out scores) before and after. NannyML draws its 10
 * folds by a seeded stratified shuffle; ours are deterministic stratified folds (every 10th row of each class), so
 * on borderline data the two may decide differently — the decision is reported so a user can see it.
 */
export function needsCalibration(score: Float64Array, label: Float64Array, folds = 10, bins = 10): boolean {
  const n = score.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += label[i]!;
  if (positives === 0 || positives === n) return false;
  if (rocAuc(score, label) > 0.999) return false;
  const fold = new Int32Array(n);
  const seen = [0, 0];
  for (let i = 0; i < n; i++) fold[i] = seen[label[i]!]!++ % folds;
  const before: number[] = [];
  const after: number[] = [];
  const truth: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    for (let i = 0; i < n; i++) if (fold[i] !== f) train.push(i);
    // Rows arrive sorted by score, so the training subset is sorted too.
    const fit = fitIsotonic(Float64Array.from(train, (i) => score[i]!), Float64Array.from(train, (i) => label[i]!));
    for (let i = 0; i < n; i++) {
      if (fold[i] !== f) continue;
      before.push(score[i]!);
      after.push(calibrate(fit, score[i]!));
      truth.push(label[i]!);
    }
  }
  return expectedCalibrationError(before, truth, bins) > expectedCalibrationError(after, truth, bins);
}

/** ECE over equal-count bins of the sorted scores (the last bin takes the remainder), as NannyML bins it. */
export function expectedCalibrationError(score: number[], label: number[], bins: number): number {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  const count = n <= 2 * bins ? Math.floor(n / 2) : bins;
  const width = Math.floor(n / count);
  let ece = 0;
  for (let left = 0; left < n; left += width) {
    const right = left + 2 * width > n ? n : left + width;
    let p = 0;
    let y = 0;
    for (let k = left; k < right; k++) {
      p += score[order[k]!]!;
      y += label[order[k]!]!;
    }
    ece += ((right - left) / n) * Math.abs(p / (right - left) - y / (right - left));
    if (right === n) break;
  }
  return ece;
}
