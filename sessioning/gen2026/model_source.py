"""The 2026 app's TypeScript, read with tree-sitter: concepts, refusals, HTTP policy, assembly,
endpoints and reactions. :mod:`sessioning.gen2026.model` assembles these into an :class:`AppModel`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from sessioning.gen2026.tsparse import Source, call_args, callee, iter_nodes, object_pairs, string_value, text

__all__ = ["AssemblyInfo", "ChainInfo", "ConceptClass", "HttpInfo", "Registration", "read_assembly", "read_chains",
           "read_classes", "read_http", "read_registrations"]


@dataclass
class ConceptClass:
    """A concept class: per action, where it returns ``{error}`` and which classes it throws."""

    name: str
    file: str
    line: int
    returns_error: dict[str, int] = field(default_factory=dict)  # method → line of `return { error … }`
    throws: dict[str, list[str]] = field(default_factory=dict)  # method → thrown class names
    methods: list[str] = field(default_factory=list)


def _method_facts(cls: ConceptClass, src: Source, method: Node) -> None:
    name = text(method.child_by_field_name("name"))
    cls.methods.append(name)
    for ret in iter_nodes(method, "return_statement"):
        value = next(iter(ret.named_children), None)
        if value is not None and "error" in object_pairs(value):
            cls.returns_error.setdefault(name, src.line(ret))
    for thr in iter_nodes(method, "throw_statement"):
        for new in iter_nodes(thr, "new_expression"):
            cls.throws.setdefault(name, []).append(text(new.child_by_field_name("constructor")))


def read_classes(src: Source) -> list[ConceptClass]:
    """Every class declared in a file, with its methods' ``return {error}`` and ``throw new X`` sites."""
    out = []
    for decl in iter_nodes(src.root, "class_declaration"):
        cls = ConceptClass(text(decl.child_by_field_name("name")), src.path, src.line(decl))
        body = decl.child_by_field_name("body")
        for member in body.named_children if body is not None else []:
            if member.type == "method_definition":
                _method_facts(cls, src, member)
        out.append(cls)
    return out


@dataclass
class Registration:
    """``registerConcept({class, spec, refusals})``: the concept's key (or variable) and its refusal map."""

    key: str
    class_name: str
    refusals: dict[str, str]
    file: str
    line: int


def _owner_key(node: Node) -> str:
    """The object key (``Sessioning: registerConcept(…)``) or variable name holding a call."""
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression"):
        parent = parent.parent
    if parent is not None and parent.type == "pair":
        return string_value(parent.child_by_field_name("key")) or text(parent.child_by_field_name("key"))
    if parent is not None and parent.type == "variable_declarator":
        return text(parent.child_by_field_name("name"))
    return ""


def read_registrations(src: Source) -> tuple[list[Registration], dict[str, str]]:
    """``registerConcept`` calls, and ``conceptSet({Key: variable})`` aliases (variable → Key)."""
    regs, aliases = [], {}
    for call in iter_nodes(src.root, "call_expression"):
        name = callee(call)
        args = call_args(call)
        if name == "registerConcept" and args:
            pairs = object_pairs(args[0])
            refusals = {k: text(v) for k, v in object_pairs(pairs.get("refusals")).items()}
            regs.append(Registration(_owner_key(call), text(pairs.get("class")), refusals, src.path, src.line(call)))
        elif name == "conceptSet" and args:
            # conceptSet({ Key: registration }) or conceptSet(registrations) with the object beside it
            for key, value in object_pairs(_resolve_object(src, args[0])).items():
                if value.type in ("identifier", "shorthand_property_identifier"):
                    aliases[text(value)] = key
    return regs, aliases


@dataclass
class HttpInfo:
    """What ``httpPolicy({…})`` says: public errors, origin, base path, the session cookie."""

    file: str | None = None
    line: int | None = None
    public_errors: dict[str, str] = field(default_factory=dict)
    public_origin: str | None = None  # a literal, or the expression's text (e.g. a parameter)
    base_path: str = ""
    cookie_name: str | None = None
    cookie_input: str | None = None
    issue_paths: list[str] = field(default_factory=list)


def _resolve_object(src: Source, node: Node | None) -> Node | None:
    """An identifier's initialiser in the same file (``const publicErrors = {…}``), else the node."""
    if node is None or node.type != "identifier":
        return node
    for decl in iter_nodes(src.root, "variable_declarator"):
        if text(decl.child_by_field_name("name")) == text(node):
            return decl.child_by_field_name("value")
    return node


def read_http(src: Source) -> HttpInfo | None:
    """The first ``httpPolicy({…})`` of a file."""
    for call in iter_nodes(src.root, "call_expression"):
        if callee(call) != "httpPolicy" or not call_args(call):
            continue
        pairs = object_pairs(_resolve_object(src, call_args(call)[0]))
        info = HttpInfo(src.path, src.line(call))
        errors = object_pairs(_resolve_object(src, pairs.get("publicErrors")))
        info.public_errors = {k: string_value(v) or text(v) for k, v in errors.items()}
        origin = pairs.get("publicOrigin")
        info.public_origin = string_value(origin) if origin is not None and string_value(origin) else text(origin) or None
        info.base_path = string_value(pairs.get("basePath")) or ""
        session = object_pairs(object_pairs(pairs.get("cookies")).get("session"))
        info.cookie_name = string_value(session.get("name"))
        info.cookie_input = string_value(session.get("input"))
        issue = session.get("issue")
        for item in issue.named_children if issue is not None else []:
            path = string_value(object_pairs(item).get("path"))
            if path:
                info.issue_paths.append(path)
        return info
    return None


@dataclass
class AssemblyInfo:
    """What ``assemble({…})`` switches on, and the composition's top-level names → imported bindings."""

    file: str
    line: int
    logging: str | None = None
    log_sink: str | None = None
    reporter: bool = False
    observers: bool = False
    composition: dict[str, str] = field(default_factory=dict)  # top key → local identifier


def read_assembly(src: Source) -> AssemblyInfo | None:
    for call in iter_nodes(src.root, "call_expression"):
        if callee(call) != "assemble" or not call_args(call):
            continue
        pairs = object_pairs(call_args(call)[0])
        info = AssemblyInfo(src.path, src.line(call))
        info.logging = text(pairs["logging"]) if "logging" in pairs else None
        info.log_sink = text(pairs["logSink"]) if "logSink" in pairs else None
        if info.log_sink is None and "FileLogSink" in {text(n.child_by_field_name("constructor"))
                                                       for n in iter_nodes(call, "new_expression")}:
            info.log_sink = "FileLogSink"
        info.reporter = "rawFaultReporter" in pairs
        info.observers = "observers" in pairs
        info.composition = {k: text(v) for k, v in object_pairs(pairs.get("composition")).items()}
        return info
    return None


@dataclass
class WhereLine:
    """One read line of a ``where``: its text, kind (``plain``, ``no``, ``whether``) and line number."""

    text: str
    kind: str
    line: int


@dataclass
class ChainInfo:
    """An ``endpoint(path, …)`` or a ``reaction(…)``: its trigger keys, read lines, stages and answers."""

    var: str
    kind: str  # endpoint | reaction
    file: str
    line: int
    path: str | None = None
    receive_keys: list[str] = field(default_factory=list)
    when: str | None = None
    where: list[WhereLine] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    answers_errors: list[str] = field(default_factory=list)
    full_name: str = ""
    registered: bool = True  # False when the file's `composition` object leaves it out


def _where_lines(src: Source, call: Node) -> list[WhereLine]:
    out = []
    for c in iter_nodes(call, "call_expression"):
        if callee(c) != "where":
            continue
        for arg in call_args(c):
            fn = callee(arg) if arg.type == "call_expression" else ""
            kind = fn if fn in ("no", "whether", "now") else "plain"
            out.append(WhereLine(" ".join(text(arg).split()), kind, src.line(arg)))
    return out


def _chain(src: Source, call: Node, kind: str) -> ChainInfo:
    info = ChainInfo(_owner_key(call), kind, src.path, src.line(call))
    args = call_args(call)
    if kind == "endpoint" and args:
        info.path = string_value(args[0])
    for c in iter_nodes(call, "call_expression"):
        name = callee(c)
        if name == "receive" and call_args(c) and not info.receive_keys:
            info.receive_keys = list(object_pairs(call_args(c)[0]))
        elif name == "when" and call_args(c) and info.when is None:
            info.when = " ".join(text(call_args(c)[0]).split())
        elif name == "respond" and call_args(c):
            error = object_pairs(call_args(c)[0]).get("error")
            if string_value(error):
                info.answers_errors.append(string_value(error) or "")
        elif name == "then":
            info.stages.extend(" ".join(text(a).split())[:160] for a in call_args(c))
    info.where = _where_lines(src, call)
    info.stages.reverse()  # the outermost .then is found first; show them in chain order
    return info


def read_chains(src: Source) -> list[ChainInfo]:
    """Every ``endpoint(…)`` and ``reaction(…)`` call of a composition file."""
    return [_chain(src, call, callee(call)) for call in iter_nodes(src.root, "call_expression")
            if callee(call) in ("endpoint", "reaction")]
