/** The paper's "mystep" schedule: StepLR stepped once per epoch, with a floor (paper-notes §6). */
export interface StepSchedule {
  readonly baseLr: number;
  /** Epochs between decays (the paper: 4). */
  readonly stepEpochs: number;
  /** Decay factor (the paper: 0.9). */
  readonly gamma: number;
  /** Smallest learning rate (the paper: 1e-7). */
  readonly minLr: number;
}

export function learningRate(schedule: StepSchedule, epoch: number): number {
  return Math.max(schedule.minLr, schedule.baseLr * schedule.gamma ** Math.floor(epoch / schedule.stepEpochs));
}
