"""``TransportableObject``: Covalent's wrapper of a value, as a transparent proxy.

Covalent hands out node outputs, workflow inputs and functions wrapped in a
``TransportableObject`` and its users unwrap them with ``get_deserialized()``.
Here the wrapper *is* the value for every other purpose (a ``wrapt`` proxy):
comparisons, arithmetic, indexing, attributes, calls, ``isinstance`` and
``str`` all reach the wrapped value, so code written for plain values keeps
working on the same objects.  Pickling one stores the wrapped value.

Covalent's own methods are there too (``get_deserialized``, ``object_string``,
``header``, ``to_dict``/``from_dict``, ``serialize``/``deserialize`` in
Covalent's archive layout).  Where the wrapped value has an attribute of the
same name (a DataFrame's ``to_dict``, say), the value's wins: the wrapper never
hides what the value offers.
"""

from __future__ import annotations

import base64
import json
import platform
from typing import Any

import cloudpickle
import wrapt

__all__ = ["TransportableObject"]

_OFFSET_BYTES = 8  # the archive: [string offset][data offset][header][string][data], offsets big-endian


def _value_first(name: str, own: Any) -> property:
    """An attribute that is the wrapped value's ``name`` when it has one, else ours."""

    def get(self: TransportableObject) -> Any:
        try:
            return getattr(self.__wrapped__, name)
        except AttributeError:
            return own.__get__(self, type(self))

    return property(get, doc=own.__doc__)


class TransportableObject(wrapt.ObjectProxy):  # type: ignore[misc]
    """A value that also answers Covalent's ``TransportableObject`` methods."""

    def __new__(cls, obj: Any = None) -> Any:
        if cls is TransportableObject and callable(obj):
            cls = _CallableTransportableObject
        return super().__new__(cls)

    def __init__(self, obj: Any = None) -> None:
        if isinstance(obj, TransportableObject):
            obj = obj.__wrapped__
        super().__init__(obj)
        self._self_string: str | None = None
        self._self_header: dict[str, Any] | None = None

    # -- Covalent's accessors ------------------------------------------------
    def get_deserialized(self) -> Any:
        """The wrapped value itself."""
        return self.__wrapped__

    def _object_string(self) -> str:
        if self._self_string is None:
            self._self_string = str(self.__wrapped__)
        return self._self_string

    def _header(self) -> dict[str, Any]:
        if self._self_header is None:
            obj = self.__wrapped__
            self._self_header = {
                "py_version": platform.python_version(),
                "cloudpickle_version": cloudpickle.__version__,
                "attrs": {"doc": getattr(obj, "__doc__", ""), "name": getattr(obj, "__name__", "")},
            }
        return self._self_header

    def _get_serialized(self) -> str:
        """base64 of the cloudpickled value."""
        return base64.b64encode(cloudpickle.dumps(self.__wrapped__)).decode()

    def _to_dict(self) -> dict[str, Any]:
        """Covalent's JSON-safe form: ``{"type": "TransportableObject", "attributes": {...}}``."""
        return {
            "type": "TransportableObject",
            "attributes": {
                "_object": self._get_serialized(),
                "_object_string": self._object_string(),
                "_header": self._header(),
            },
        }

    def _serialize(self) -> bytes:
        """Covalent's archive: two offsets, the header (JSON), the string, the base64 data."""
        header = json.dumps(self._header()).encode()
        string = self._object_string().encode()
        data = self._get_serialized().encode()
        string_offset = 2 * _OFFSET_BYTES + len(header)
        data_offset = string_offset + len(string)
        return (
            string_offset.to_bytes(_OFFSET_BYTES, "big")
            + data_offset.to_bytes(_OFFSET_BYTES, "big")
            + header
            + string
            + data
        )

    def _serialize_to_json(self) -> str:
        return json.dumps(self._to_dict())

    object_string = _value_first("object_string", property(_object_string))
    header = _value_first("header", property(_header))
    attrs = _value_first("attrs", property(lambda self: self._header()["attrs"]))
    python_version = _value_first("python_version", property(lambda self: self._header()["py_version"]))
    get_serialized = _value_first("get_serialized", _get_serialized)
    to_dict = _value_first("to_dict", _to_dict)
    serialize = _value_first("serialize", _serialize)
    serialize_to_json = _value_first("serialize_to_json", _serialize_to_json)

    # -- Covalent's constructors ---------------------------------------------
    @staticmethod
    def make_transportable(obj: Any) -> TransportableObject:
        return obj if isinstance(obj, TransportableObject) else TransportableObject(obj)

    @staticmethod
    def from_dict(object_dict: dict[str, Any]) -> TransportableObject:
        attributes = object_dict["attributes"]
        data = attributes.get("_object") or ""
        value = cloudpickle.loads(base64.b64decode(data)) if data else None
        made = TransportableObject(value)
        made._self_string = attributes.get("_object_string")
        made._self_header = attributes.get("_header")
        return made

    @staticmethod
    def deserialize_from_json(json_string: str) -> TransportableObject:
        return TransportableObject.from_dict(json.loads(json_string))

    @staticmethod
    def deserialize(serialized: bytes, *, header_only: bool = False, string_only: bool = False) -> TransportableObject:
        string_offset = int.from_bytes(serialized[:_OFFSET_BYTES], "big")
        data_offset = int.from_bytes(serialized[_OFFSET_BYTES : 2 * _OFFSET_BYTES], "big")
        header = json.loads(serialized[2 * _OFFSET_BYTES : string_offset].decode())
        string = "" if header_only else serialized[string_offset:data_offset].decode()
        data = b"" if header_only or string_only else serialized[data_offset:]
        made = TransportableObject(cloudpickle.loads(base64.b64decode(data)) if data else None)
        made._self_header = header
        made._self_string = string
        return made

    @staticmethod
    def deserialize_list(collection: list[Any]) -> list[Any]:
        return [_deserialize_item(item) for item in collection]

    @staticmethod
    def deserialize_dict(collection: dict[Any, Any]) -> dict[Any, Any]:
        return {key: _deserialize_item(item) for key, item in collection.items()}

    # -- a value, not a wrapper, for Python itself ------------------------------
    def __repr__(self) -> str:
        return repr(self.__wrapped__)

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        return TransportableObject, (self.__wrapped__,)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, tuple[Any]]:
        return self.__reduce__()

    def __copy__(self) -> TransportableObject:
        return TransportableObject(self.__wrapped__)

    def __deepcopy__(self, memo: dict[int, Any]) -> TransportableObject:
        import copy

        return TransportableObject(copy.deepcopy(self.__wrapped__, memo))


class _CallableTransportableObject(TransportableObject):
    """A wrapped function (or other callable): calling it calls the function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)


def _deserialize_item(item: Any) -> Any:
    if isinstance(item, TransportableObject):
        return item.get_deserialized()
    if isinstance(item, list):
        return TransportableObject.deserialize_list(item)
    if isinstance(item, dict):
        return TransportableObject.deserialize_dict(item)
    raise TypeError(f"cannot deserialize {type(item).__name__}: expected TransportableObjects, lists or dicts")
