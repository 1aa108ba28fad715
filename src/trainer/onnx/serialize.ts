import { onnx } from 'onnx-proto';
import type { Attr, DType, Graph, Tensor } from './graph';
import { NCHWC_DOMAIN } from './nchwc';

/** onnx-proto knows IR version 8, which carries opsets up to 17 (ReduceMean still takes `axes` as an attribute). */
export const IR_VERSION = 8;
export const OPSET = 17;

const ELEM_TYPE: Record<DType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

function valueInfo(t: Tensor): onnx.IValueInfoProto {
  return {
    name: t.name,
    type: { tensorType: { elemType: ELEM_TYPE[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function attribute(name: string, a: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  return { name, type: T.FLOATS, floats: [...a.floats] };
}

export interface ModelMetadata {
  readonly [key: string]: string;
}

/** Serialises the graph as an ONNX ModelProto. */
export function toModelBytes(graph: Graph, metadata: ModelMetadata = {}): Uint8Array {
  const initNames = new Set(graph.initializers.map((i) => i.tensor.name));
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'au-lens',
    opsetImport: [
      { domain: '', version: OPSET }, { domain: 'com.microsoft', version: 1 },
      ...(graph.nodes.some((n) => n.domain === NCHWC_DOMAIN) ? [{ domain: NCHWC_DOMAIN, version: 1 }] : []),
    ],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        opType: n.op,
        ...(n.domain !== undefined && { domain: n.domain }),
        name: n.name,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
      })),
      input: graph.inputs.filter((t) => !initNames.has(t.name)).map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: graph.initializers.map(({ tensor, data }) => ({
        name: tensor.name,
        dataType: ELEM_TYPE[tensor.dtype],
        dims: [...tensor.shape],
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      })),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
