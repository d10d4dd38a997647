"""`@value`: a dataclass whose methods are written once, here, instead of compiled for each class at import.

Python 3.11's `@dataclass(frozen=True)` builds six methods per class (__init__, __repr__, __eq__, __hash__,
__setattr__, __delattr__) from source text with `exec`: ~0.6 ms a class, ~35 ms of a healthy check for the
~60 classes on its path (more than the check spends on the network). `@value` keeps dataclass's own field
processing, so `dataclasses.fields`, `replace`, `is_dataclass` and field metadata work as before, and takes
the methods from the functions below: instances are built, compared, hashed and printed as a dataclass's
are, and a frozen one refuses assignment with the same `FrozenInstanceError`.

    @value
    class Location:
        file: str
        line: int = 0

`@value(frozen=False)` is `@dataclass` (mutable, unhashable). Not supported (not used): `init=False` fields,
`InitVar`, `__post_init__`, keyword-only fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, FrozenInstanceError
from operator import attrgetter


def value(cls=None, /, *, frozen: bool = True):
    def wrap(cls):
        return _make(cls, frozen)

    return wrap if cls is None else wrap(cls)


def _make(cls, frozen: bool):
    own = {"__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__post_init__"} & set(vars(cls))
    if own - {"__hash__"} or vars(cls).get("__hash__", None) is not None:
        raise TypeError(f"{cls.__qualname__} defines {', '.join(sorted(own))}: use @dataclass")
    if not cls.__doc__:  # dataclass would write one from inspect.signature (which tokenizes object's own text)
        cls.__doc__ = f"{cls.__name__}({', '.join(vars(cls).get('__annotations__', ()))})"
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False)  # fields only: no generated code
    fields = dataclasses.fields(cls)
    init = tuple((f.name, f.default, f.default_factory) for f in fields)
    if any(not f.init or f.kw_only for f in fields):
        raise TypeError(f"{cls.__qualname__}: @value supports plain fields only")
    seen_default = False
    for name, default, factory in init:  # what dataclass's generated __init__ would refuse to compile
        if default is MISSING and factory is MISSING and seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        seen_default = seen_default or default is not MISSING or factory is not MISSING
    cls.__value_names__ = tuple(name for name, _, _ in init)
    cls.__value_known__ = frozenset(cls.__value_names__)
    cls.__value_required__ = frozenset(name for name, default, factory in init if default is factory is MISSING)
    # every field in order; a required one or one made by a factory holds MISSING until __init__ sets it
    cls.__value_defaults__ = {name: default for name, default, _ in init}
    cls.__value_factories__ = tuple((name, factory) for name, _, factory in init if factory is not MISSING)
    # staticmethod: a plain function kept on the class would be bound to the instance it is read from
    cls.__value_compared__ = staticmethod(_values_of(tuple(f.name for f in fields if f.compare)))
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    cls.__value_hashed__ = staticmethod(_values_of(hashed))
    cls.__value_shown__ = tuple(f.name for f in fields if f.repr)
    cls.__init__ = _init
    cls.__repr__ = _repr
    cls.__eq__ = _eq
    if frozen:
        cls.__hash__ = _hash
        cls.__setattr__ = _refuse_setattr
        cls.__delattr__ = _refuse_delattr
    else:
        cls.__hash__ = None  # mutable and compared by value: unhashable, as a dataclass is
    return cls


def _values_of(names: tuple[str, ...]):
    """A function from an instance to the tuple of these fields' values (what dataclass compares and hashes)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _init(self, *args, **kwargs):
    names = self.__value_names__
    if not kwargs and len(args) == len(names):  # every field given in order (phrase() does so)
        self.__dict__.update(zip(names, args))
        return
    if args:
        if len(args) > len(names):
            raise TypeError(f"{type(self).__qualname__}() takes {len(names)} positional arguments but {len(args)} "
                            "were given")
        if kwargs and not kwargs.keys().isdisjoint(names[:len(args)]):
            twice = min(kwargs.keys() & set(names[:len(args)]))
            raise TypeError(f"{type(self).__qualname__}() got multiple values for argument {twice!r}")
        kwargs.update(zip(names, args))
    if not kwargs.keys() <= self.__value_known__:
        unknown = min(kwargs.keys() - self.__value_known__)
        raise TypeError(f"{type(self).__qualname__}() got an unexpected keyword argument {unknown!r}")
    if not self.__value_required__ <= kwargs.keys():
        missing = min(self.__value_required__ - kwargs.keys())
        raise TypeError(f"{type(self).__qualname__}() missing required argument: {missing!r}")
    # Straight into the instance's dict, every field in its order (a later update keeps a key's place): what
    # dataclass's frozen __init__ does through object.__setattr__, in a few C calls.
    state = self.__dict__
    state.update(self.__value_defaults__)
    state.update(kwargs)
    for name, factory in self.__value_factories__:
        if name not in kwargs:
            state[name] = factory()


def _repr(self) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__value_shown__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    compared = self.__value_compared__
    return compared(self) == compared(other)


def _hash(self) -> int:
    return hash(self.__value_hashed__(self))


def _refuse_setattr(self, name, _value):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r}")
