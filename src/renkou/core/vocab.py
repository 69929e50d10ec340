"""Controlled vocabularies: ethnicity (GB 3304), hukou types, household relations, event kinds, sources.

Each entry is ``code: (zh, en)``. Import files may use either the code or the Chinese name.
"""

from __future__ import annotations

SEXES = {"M": ("男", "male"), "F": ("女", "female")}

HUKOU_TYPES = {
    "agricultural": ("农业", "agricultural"),
    "non_agricultural": ("非农业", "non-agricultural"),
    "resident": ("居民", "unified resident"),
}

# GB/T 3304-1991 民族代码 (56 ethnic groups, plus 97 other and 98 foreign-origin citizens).
_ETHNIC_NAMES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
ETHNICITIES: dict[str, tuple[str, str]] = {f"{i:02d}": (name + "族", "") for i, name in enumerate(_ETHNIC_NAMES, start=1)}
ETHNICITIES["97"] = ("其他", "other")
ETHNICITIES["98"] = ("外国血统中国籍人士", "Chinese citizen of foreign origin")

# Relation to the household head (after GB/T 4761 家庭关系代码, grouped).
RELATIONS = {
    "head": ("户主", "head"),
    "spouse": ("配偶", "spouse"),
    "child": ("子女", "child"),
    "child_in_law": ("儿媳/女婿", "child-in-law"),
    "grandchild": ("孙子女/外孙子女", "grandchild"),
    "parent": ("父母", "parent"),
    "parent_in_law": ("公婆/岳父母", "parent-in-law"),
    "grandparent": ("祖父母/外祖父母", "grandparent"),
    "sibling": ("兄弟姐妹", "sibling"),
    "other": ("其他", "other"),
}

SOURCES = {
    "village": ("村（居）录入", "village entry"),
    "hospital": ("医院", "hospital"),
    "police": ("公安", "police"),
    "civil_affairs": ("民政", "civil affairs"),
    "import": ("批量导入", "import"),
}

MARITAL_STATUSES = {
    "never": ("未婚", "never married"),
    "married": ("有配偶", "married"),
    "divorced": ("离婚", "divorced"),
    "widowed": ("丧偶", "widowed"),
}

MOVE_SCOPES = {
    "residence": ("居住地迁移", "residence"),
    "hukou": ("户籍迁移", "hukou"),
    "both": ("户籍与居住地迁移", "hukou and residence"),
}


_REVERSE: dict[int, dict[str, str]] = {}


def _reverse(vocab: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Every accepted spelling (code, Chinese, English lower-cased, ethnicity without 族) -> code."""
    rev = _REVERSE.get(id(vocab))
    if rev is None:
        rev = {}
        for code, (zh, en) in vocab.items():
            rev.setdefault(code, code)
            rev.setdefault(zh, code)
            if en:
                rev.setdefault(en.lower(), code)
            if vocab is ETHNICITIES and zh.endswith("族"):
                rev.setdefault(zh[:-1], code)
        _REVERSE[id(vocab)] = rev
    return rev


def lookup(vocab: dict[str, tuple[str, str]], raw: str) -> str | None:
    """The code for ``raw`` given as a code, a Chinese name or an English name (case-insensitive)."""
    s = raw.strip()
    rev = _reverse(vocab)
    return rev.get(s) or rev.get(s.lower())
