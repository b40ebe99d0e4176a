"""Invented policy-like documents for the analysis tests (no text from the pool)."""

from __future__ import annotations

import pandas as pd
import pytest

import policyclf

#: Invented sentences, each with the measure a reader would code.
SENTENCES = {
    "talent": "对新引进的全职博士给予每人十万元安家补贴。",
    "platform": "支持龙头企业牵头建设省级重点实验室和中试基地。",
    "transfer": "鼓励高校院所设立技术转移机构，培育技术经纪人。",
    "governance": "建立由市政府主要负责同志牵头的科技创新联席会议制度。",
    "none": "全市地区生产总值比上年增长百分之五点二。",
}


def make_docs() -> pd.DataFrame:
    """Six documents over three years, one of them unreadable and one empty."""
    s = SENTENCES
    rows = [
        {
            "doc": "a",
            "year": 2015,
            "issuer": "甲市",
            "text": f"一、人才引进\n{s['talent']}{s['none']}\n二、平台建设\n{s['platform']}",
        },
        {
            "doc": "b",
            "year": 2015,
            "issuer": "乙市",
            "text": f"{s['governance']}\n{s['transfer']}{s['none']}",
        },
        {
            "doc": "c",
            "year": 2016,
            "issuer": "甲市",
            "text": f"{s['platform']}{s['platform']}\n{s['none']}",
        },
        {
            "doc": "d",
            "year": 2017,
            "issuer": "乙市",
            "text": f"{s['talent']}\n{s['governance']}{s['transfer']}",
        },
        {"doc": "broken", "year": 2016, "issuer": "甲市", "text": None},
        {"doc": "empty", "year": 2017, "issuer": "乙市", "text": "   \n  "},
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def model() -> policyclf.Model:
    return policyclf.load()


@pytest.fixture()
def docs() -> pd.DataFrame:
    return make_docs()


@pytest.fixture(scope="session")
def tagged(model: policyclf.Model) -> pd.DataFrame:
    return model.tag_corpus(make_docs(), unit="sentence", id_col="doc")
