import { expand, mul, reduceMean, unsqueeze } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/**
 * The paper's layer attention T_l (§4): the channel mean of a stage output, (N,C,H,W) → (N,H,W), with no abs
 * and no normalisation, as the peer's `F.mean(dim=1)`.
 */
export const ChannelMean: DiffOp = {
  name: 'ChannelMean',
  forward: (g, [x]) => {
    if (x!.shape.length !== 4) throw new RangeError(`ChannelMean needs (N,C,H,W), got [${x!.shape}]`);
    return { outputs: [reduceMean(g, x!, [1], false)], saved: undefined };
  },
  backward: (g, { inputs: [x] }, [dy]) => [
    expand(g, unsqueeze(g, mul(g, dy!, g.scalar(1 / x!.shape[1]!)), [1]), x!.shape),
  ],
};
