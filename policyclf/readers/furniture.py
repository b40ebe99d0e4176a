"""What is not document text: reader-app residue and government-site page furniture.

*Residue* is the chrome of reading apps and web pages (APP, 下载, 扫码, 立即打开, 上一章…):
short unpunctuated lines made mostly of such vocabulary, dropped at the edges of a document
(between paragraphs only when made of nothing else).

*Furniture* is what government web sites print around a document, dropped wherever it stands:

* breadcrumbs: 您现在所在的位置：首页 > 政务公开 > 文件; 当前位置：…; 首页 > 信息公开 > …;
* information boxes, one or several ``key：value`` pairs on a line: 索引号, 发布机构, 发文机关,
  发布日期, 成文日期, 发文字号, 主题分类, 来源, 浏览次数, 责任编辑… (their values become the
  document's metadata: issuer, date, document number, title);
* tool lines made only of 分享到, 打印本页, 关闭窗口, 【字体：大 中 小】, 【打印】, 收藏, 返回顶部,
  扫一扫在手机打开当前页, 微信, 微博…;
* a line that is nothing but a document number (鲁政发〔2018〕3号), kept as metadata.

A furniture line is short (at most 200 characters) and has no sentence-final 。！？, so a
sentence of the document is never taken for furniture.
"""

from __future__ import annotations

import re

from .sentences import has_terminator

__all__ = [
    "DOC_NUMBER_RE",
    "furniture_fields",
    "is_furniture",
    "residue_coverage",
]

_MAX_RESIDUE_CHARS = 30
_MAX_FURNITURE_CHARS = 200

_RESIDUE_WORDS = (
    "点击中间区域",
    "呼出菜单",
    "立即打开",
    "加入书架",
    "阅读全文",
    "继续阅读",
    "打开APP",
    "客户端",
    "公众号",
    "二维码",
    "上一章",
    "下一章",
    "上一页",
    "下一页",
    "上一篇",
    "下一篇",
    "APP",
    "下载",
    "扫码",
    "购买",
    "畅读",
    "书库",
    "书架",
    "书签",
    "海量",
    "掌阅",
    "点击",
    "目录",
    "返回",
    "顶部",
    "分享",
    "收藏",
    "打开",
    "登录",
    "注册",
    "关注",
    "微信",
    "评论",
    "点赞",
    "举报",
    "首页",
    "展开",
    "全文",
    "广告",
    "免费",
    "试读",
    "充值",
    "VIP",
    "会员",
    "字号",
    "夜间",
    "设置",
    "×",
)
_RESIDUE_RE = re.compile(
    "|".join(re.escape(w) for w in sorted(_RESIDUE_WORDS, key=len, reverse=True)), re.IGNORECASE
)
_RESIDUE_SEPARATORS = frozenset(" \t\u3000,，、|｜·・:：/-—>›»<‹«•()（）[]【】")


def residue_coverage(line: str) -> float:
    """Share of the line's non-separator characters covered by reader-app vocabulary."""
    if len(line) > _MAX_RESIDUE_CHARS or has_terminator(line):
        return 0.0
    return _coverage(line, _RESIDUE_RE)


def _coverage(line: str, pattern: re.Pattern[str]) -> float:
    covered = [False] * len(line)
    for m in pattern.finditer(line):
        for i in range(m.start(), m.end()):
            covered[i] = True
    total = hit = 0
    for ch, cov in zip(line, covered, strict=True):
        if ch in _RESIDUE_SEPARATORS or ch.isspace():
            continue
        total += 1
        hit += cov
    return hit / total if total else 0.0


# ---------------------------------------------------------------------------- furniture

#: key -> metadata field it fills ("" = a key whose value is not kept)
_BOX_KEYS: dict[str, str] = {
    "您现在所在的位置": "",
    "您现在的位置": "",
    "您当前的位置": "",
    "您的位置": "",
    "当前位置": "",
    "所在位置": "",
    "索引号": "",
    "主题分类": "",
    "主题词": "",
    "体裁分类": "",
    "组配分类": "",
    "公开方式": "",
    "公开范围": "",
    "公开时限": "",
    "有效性": "",
    "时效性": "",
    "效力状态": "",
    "是否有效": "",
    "信息类别": "",
    "分类": "",
    "发文机关": "issuer",
    "发布机构": "issuer",
    "发布单位": "issuer",
    "发文单位": "issuer",
    "制发机关": "issuer",
    "信息来源": "issuer",
    "文章来源": "issuer",
    "来源": "issuer",
    "成文日期": "date",
    "发文日期": "date",
    "印发日期": "date",
    "发布日期": "date",
    "发布时间": "date",
    "公开日期": "date",
    "生效日期": "",
    "实施日期": "",
    "废止日期": "",
    "更新时间": "",
    "发文字号": "doc_number",
    "文号": "doc_number",
    "标题": "title",
    "作者": "",
    "责任编辑": "",
    "编辑": "",
    "浏览次数": "",
    "访问次数": "",
    "阅读次数": "",
    "点击数": "",
    "点击量": "",
    "浏览量": "",
    "阅读量": "",
    "字体": "",
    "字号": "",
    "分享到": "",
    "版权所有": "",
    "主办单位": "",
    "主办": "",
    "承办单位": "",
    "承办": "",
    "网站标识码": "",
    "ICP备案号": "",
}
# priority of keys filling the same field (earlier wins)
_FIELD_PRIORITY = (
    "发文机关",
    "发布机构",
    "发布单位",
    "发文单位",
    "制发机关",
    "信息来源",
    "文章来源",
    "来源",
    "成文日期",
    "发文日期",
    "印发日期",
    "发布日期",
    "发布时间",
    "公开日期",
    "发文字号",
    "文号",
    "标题",
)
_KEYS_ALT = "|".join(re.escape(k) for k in sorted(_BOX_KEYS, key=len, reverse=True))
# a key at the start of the line or after a separator, then a colon (or 】 / ] of a box)
_KEY_RE = re.compile(rf"(?:^|(?<=[\s|｜【\[]))[【\[]?({_KEYS_ALT})\s*[】\]]?\s*[:：]")

_TOOL_WORDS = (
    "扫一扫在手机打开当前页",
    "在手机上打开",
    "打印本页",
    "打印此页",
    "关闭窗口",
    "关闭本页",
    "返回顶部",
    "我要纠错",
    "加入收藏",
    "相关链接",
    "相关文件",
    "相关阅读",
    "网站地图",
    "联系我们",
    "无障碍",
    "分享到",
    "QQ空间",
    "扫一扫",
    "字体",
    "字号",
    "打印",
    "关闭",
    "收藏",
    "分享",
    "纠错",
    "保存",
    "微信",
    "微博",
    "默认",
    "繁体",
    "简体",
    "返回",
    "顶部",
    "首页",
    "上一篇",
    "下一篇",
    "大",
    "中",
    "小",
    "×",
)
_TOOL_RE = re.compile(
    "|".join(re.escape(w) for w in sorted(_TOOL_WORDS, key=len, reverse=True)), re.IGNORECASE
)
_TOOL_ANCHOR_RE = re.compile("打印|关闭|分享|字体|字号|扫一扫|纠错|收藏|返回顶部")
_BREADCRUMB_SEP = re.compile(r"\s*[>›»＞→]\s*|\s+/\s+")
_HOME = ("首页", "网站首页", "主页", "门户首页")

#: 发文字号: an issuer's abbreviation, the year in 〔〕 (or [], （）) and a number, e.g.
#: 鲁政发〔2018〕3号, 国办发〔2021〕7号, 工信部联科〔2010〕540号.
DOC_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fff]{1,14}\s*[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\s*\d{1,5}\s*号"
)


_SENTENCE_END = re.compile("[。！？!?]")


def is_furniture(line: str) -> bool:
    """True when ``line`` (already trimmed) is government-site page furniture."""
    if not line or len(line) > _MAX_FURNITURE_CHARS or _SENTENCE_END.search(line):
        return False
    if _KEY_RE.match(line):
        return True
    if DOC_NUMBER_RE.fullmatch(line):
        return True
    parts = [p for p in _BREADCRUMB_SEP.split(line) if p]
    if len(parts) >= 2 and parts[0].strip() in _HOME and len(line) <= 120:
        return True
    if _TOOL_ANCHOR_RE.search(line) and len(line) <= 80:
        return _coverage(line, _TOOL_RE) >= 1.0
    return False


def furniture_fields(line: str) -> dict[str, str]:
    """The metadata a furniture line states: ``{"issuer"|"date"|"doc_number"|"title": value}``."""
    if DOC_NUMBER_RE.fullmatch(line):
        return {"doc_number": line.strip()}
    found: dict[str, tuple[int, str]] = {}
    matches = list(_KEY_RE.finditer(line))
    for i, m in enumerate(matches):
        field = _BOX_KEYS[m.group(1)]
        if not field:
            continue
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end() : end].strip(" \t\u3000|｜【】[]")
        if not value:
            continue
        rank = _FIELD_PRIORITY.index(m.group(1))
        if field not in found or rank < found[field][0]:
            found[field] = (rank, value)
    return {k: v for k, (_, v) in found.items()}
