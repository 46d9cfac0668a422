"""Read and write the safetensors format in pure Python + torch (no `safetensors` package).

Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
N bytes of UTF-8 JSON header
    {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
     "__metadata__": {str: str}}
(padded with spaces), then the raw little-endian tensor data; offsets are relative to the
first byte after the header. Files written here load with the official library, and the
reader is strict in the same way (offsets must tile the data area exactly).

    from safetensors_io import save_file, load_file, read_metadata
    save_file({"w": torch.zeros(3, 4)}, "x.safetensors", metadata={"k": "v"})
    tensors, metadata = load_file("x.safetensors")
"""
import json
import struct
import sys

import numpy as np
import torch

# dtype name -> (torch dtype, bytes per element)
DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}
_NAME_OF = {v[0]: k for k, v in DTYPES.items()}
MAX_HEADER = 100 << 20


class SafetensorsError(ValueError):
    pass


def _tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        a = t.view(torch.int16).numpy()
    else:
        a = t.numpy()
    if sys.byteorder != "little":
        a = a.byteswap()
    return a.tobytes()


def save_bytes(tensors, metadata=None):
    """tensors: {name: torch.Tensor} (written in this order); metadata: {str: str} or None."""
    header, chunks, off = {}, [], 0
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise SafetensorsError("metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    for name, t in tensors.items():
        if name == "__metadata__":
            raise SafetensorsError("a tensor cannot be called __metadata__")
        if t.dtype not in _NAME_OF:
            raise SafetensorsError("tensor %s: unsupported dtype %s" % (name, t.dtype))
        b = _tensor_bytes(t)
        header[name] = {"dtype": _NAME_OF[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-(8 + len(h)) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def save_file(tensors, path, metadata=None):
    data = save_bytes(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)


def _parse_header(buf):
    if len(buf) < 8:
        raise SafetensorsError("file of %d bytes is too short (no header length)" % len(buf))
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise SafetensorsError("header length %d exceeds the file size %d" % (n, len(buf)))
    if n > MAX_HEADER:
        raise SafetensorsError("header length %d is over the limit" % n)
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SafetensorsError("header is not valid JSON: %s" % e)
    if not isinstance(header, dict):
        raise SafetensorsError("header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError("__metadata__ must map names to strings")
    return header, metadata, 8 + n


def read_metadata(path):
    """The __metadata__ dict of a safetensors file (reads only the header)."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise SafetensorsError("file too short")
        (n,) = struct.unpack("<Q", head)
        if n > MAX_HEADER:
            raise SafetensorsError("header length %d is over the limit" % n)
        rest = f.read(n)
    if len(rest) < n:
        raise SafetensorsError("header length %d exceeds the file size" % n)
    return _parse_header(head + rest)[1]


def load_bytes(buf):
    """Returns ({name: tensor}, metadata) from the bytes of a safetensors file."""
    header, metadata, start = _parse_header(buf)
    data_len = len(buf) - start
    spans, tensors = [], {}
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorsError("tensor %s: expected dtype, shape and data_offsets" % name)
        dt, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in DTYPES:
            raise SafetensorsError("tensor %s has unknown dtype %r" % (name, dt))
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise SafetensorsError("tensor %s: bad shape %r" % (name, shape))
        if (not isinstance(offs, list) or len(offs) != 2 or
                not all(isinstance(o, int) and not isinstance(o, bool) for o in offs) or
                not 0 <= offs[0] <= offs[1] <= data_len):
            raise SafetensorsError("tensor %s: data_offsets %r outside the %d data bytes" % (name, offs, data_len))
        torch_dtype, size = DTYPES[dt]
        count = 1
        for d in shape:
            count *= d
        if count * size != offs[1] - offs[0]:
            raise SafetensorsError("tensor %s has %d data bytes, but %s %s needs %d" %
                                   (name, offs[1] - offs[0], dt, shape, count * size))
        spans.append((offs[0], offs[1], name))
        raw = bytes(buf[start + offs[0]:start + offs[1]])
        if torch_dtype == torch.bfloat16:
            a = np.frombuffer(raw, dtype="<i2").copy()
            t = torch.from_numpy(a).view(torch.bfloat16)
        elif torch_dtype == torch.bool:
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.uint8).copy()).to(torch.bool)
        else:
            np_dtype = np.dtype(str(torch.empty(0, dtype=torch_dtype).numpy().dtype)).newbyteorder("<")
            t = torch.from_numpy(np.frombuffer(raw, dtype=np_dtype).astype(np_dtype.newbyteorder("=")))
        tensors[name] = t.reshape(shape)
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            raise SafetensorsError("data_offsets of %s %s" % (name, "overlap another tensor" if begin < pos else "leave a gap"))
        pos = end
    if pos != data_len:
        raise SafetensorsError("%d unused data bytes after the last tensor" % (data_len - pos))
    return tensors, metadata


def load_file(path):
    with open(path, "rb") as f:
        return load_bytes(f.read())
