"""Issue 12 phrasings, read as a careful rater would, in every language they were listed for.

Issue 12: the overlay writers listed trainee phrasings that a language's
simulator/languages/<language>/moves.yaml did not read, or misread (brief s4/rules-gaps.md).
Each turn below is one of them, with what a careful rater reads in it (``want``) and what
they would not (``not_want``). Each pack's file is loaded directly, like test_rules_*.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from simulator.moves.detector import RuleDetector, load_pattern_file

ROOT = Path(__file__).resolve().parents[2]

CASES: dict[str, list[tuple[str, set[str], set[str]]]] = {
    "es": [  # Spanish
        # Questions.
        ("¿Qué le gustaría que hiciéramos?", {"ask"}, set()),
        ("¿Cómo le gustaría que lo resolviéramos?", {"ask"}, set()),
        # Violations.
        ("Eso fue cosa de mi compañero, no mía.", {"blame_others"}, set()),
        ("Eso es cosa del técnico que fue el lunes, no mía.", {"blame_others"}, {"timescale"}),
        ("Eso es culpa del aeropuerto de Arlanda, no nuestra.", {"blame_others"}, set()),
        ("El retraso lo causó el aeropuerto, no es cosa nuestra.", {"blame_others"}, set()),
        ("Seguro que el chico estaba de broma, él nunca diría eso.", {"argue"}, set()),
        ("Usted pidió el que no era, seguro.", {"argue"}, set()),
        ("Tendría que haber mirado la web, allí estaba el aviso.", {"argue"}, set()),
        # Good moves.
        ("Es un incumplimiento nuestro y lo vamos a corregir.", {"own"}, set()),
        ("Siento las molestias, Marta.", {"apologise"}, set()),
        ("El técnico que fue el lunes no trajo la pieza.", set(), {"timescale"}),
        ("Le organizo un vuelo alternativo para mañana.", {"remedy"}, set()),
        ("Le tramito la baja hoy mismo.", {"remedy"}, set()),
        ("Le cierro la cuenta ahora mismo, sin penalización.", {"remedy"}, set()),
        ("El fallo está en el estuche de carga, no en los auriculares.", {"explain"}, set()),
    ],
    "pt": [  # Portuguese
        # Questions.
        ("A senhora fica satisfeita com essa solução?", {"check_satisfaction"}, {"ask"}),
        ("Essa solução atende a senhora?", {"check_satisfaction"}, {"ask"}),
        ("Oi, Lucas, tudo bem?", set(), {"check_satisfaction"}),
        # Violations.
        ("Isso foi erro do técnico, não meu.", {"blame_others"}, set()),
        ("Foi o outro atendente que errou.", {"blame_others"}, set()),
        ("Isso é culpa da transportadora, não nossa.", {"blame_others"}, set()),
        ("O cancelamento foi por motivos operacionais.", {"excuse"}, set()),
        ("Foi por motivo de força maior, não depende de nós.", {"excuse"}, set()),
        # Good moves.
        ("O técnico que foi aí na segunda não trouxe a peça.", set(), {"timescale"}),
        ("Vi o seu pedido do dia 2 de janeiro.", set(), {"timescale"}),
        ("A peça foi pedida pelo código do modelo errado.", {"explain"}, set()),
    ],
    "ru": [  # Russian
        # Questions (the customer answers nothing if they are not read as questions).
        ("Расскажите, пожалуйста, что случилось?", {"ask"}, set()),
        ("Можете рассказать, что произошло?", {"ask"}, set()),
        ("Чемодан пришёл целым? Ничего не повреждено и не пропало?", {"ask"}, set()),
        ("А что в итоге стало с чайником?", {"ask"}, set()),
        ("Что произошло с чайником потом?", {"ask"}, set()),
        ("К какому времени вам нужно приземлиться в Москве?", {"ask"}, {"timescale"}),
        # Violations.
        ("Это техподдержка напортачила, а не я.", {"blame_others"}, set()),
        ("Это не я, это мой коллега виноват.", {"blame_others"}, set()),
        ("Это ошибка коллеги из техподдержки, не моя.", {"blame_others"}, set()),
        ("Это вина другого отдела.", {"blame_others"}, set()),
        ("К сожалению, наши инженеры сейчас очень загружены.", {"excuse"}, {"apologise"}),
        (
            "К сожалению, рейс отменён по производственным причинам, все пассажиры в такой же"
            " ситуации.",
            {"excuse"},
            set(),
        ),
        # Good moves.
        ("Ответственность за это несём мы.", {"own"}, set()),
        ("В течение двух дней я письменно объясню, что произошло.", {"timescale"}, set()),
        ("Объясню за два дня.", {"timescale"}, set()),
        ("Сегодня же направлю инженера в Подольск до устранения.", {"timescale"}, set()),
        ("Я лично буду вашим контактным лицом.", {"contact"}, set()),
        ("Я буду сообщать вам новости каждые два часа.", {"contact"}, set()),
    ],
    "bg": [  # Bulgarian
        # Questions.
        ("До колко часа трябва да сте на летището?", {"ask"}, set()),
        ("Докога Ви трябва куфарът?", {"ask"}, set()),
        ("Имате ли номера на багажния талон или на протокола?", {"ask"}, {"options"}),
        # Violations.
        ("Това е грешка на колегата, който Ви е обслужвал.", {"blame_others"}, set()),
        ("Това не е наша вина, а на куриерската фирма.", {"blame_others"}, set()),
        ("Колегата е нов, той е виновен.", {"blame_others"}, set()),
        ("Колегите от склада са объркали нещо.", {"blame_others"}, set()),
        ("Техникът е сбъркал, не аз.", {"blame_others"}, set()),
        (
            "Колегата сигурно се е шегувал, той никога не би казал такова нещо.",
            {"argue"},
            set(),
        ),
        ("За съжаление полетът е отменен по оперативни причини.", {"excuse"}, {"apologise"}),
        # Good moves.
        ("Проверих случая и се извинявам, че чакахте толкова дълго.", {"apologise"}, set()),
        ("Разбирам колко унизително е било.", {"empathise"}, set()),
        ("Приемете моите съболезнования.", {"empathise"}, set()),
        ("Ще получите отговор до четиринайсет дни.", {"timescale"}, set()),
        ("Ще получите отговор до четиринадесет дни.", {"timescale"}, set()),
        ("Техникът ще дойде за вторник сутринта.", {"timescale"}, set()),
        ("Ще Ви изплатя обезщетение от 200 лева.", {"remedy"}, set()),
    ],
    "zh": [  # Chinese
        # Violations.
        ("这是工程部门的问题，不是我们客服的错。", {"blame_others"}, set()),
        ("都是上一个同事没处理好，跟我没关系。", {"blame_others"}, set()),
        ("这是工程部门的责任。", {"blame_others"}, set()),
        ("取消通知官网上都有，您自己没看公告。", {"argue"}, set()),
        ("合同细则里都写着，您签字的时候应该看清楚。", {"argue"}, set()),
        ("这是运营原因，所有乘客都一样受影响。", {"excuse"}, {"empathise"}),
        ("这个我们没办法。", {"flat_refusal"}, set()),
        ("这个您得联系厂家。", {"vague_handoff"}, set()),
        # Good moves.
        ("这是我们服务没做好。", {"own"}, set()),
        ("非常抱歉，这是我们的问题。", {"apologise", "own"}, set()),
        ("换了谁都会很难受。", {"empathise"}, set()),
    ],
}


@cache
def detector(language: str) -> RuleDetector:
    """The rules of ``language``'s shipped pack alone."""
    path = ROOT / "simulator" / "languages" / language / "moves.yaml"
    return RuleDetector([load_pattern_file(path)])


@pytest.mark.parametrize(
    ("language", "text", "want", "not_want"),
    [(language, *case) for language, cases in CASES.items() for case in cases],
)
def test_issue_12_phrasing_is_read_as_a_rater_would(language, text, want, not_want):
    found = {d.move.value for d in detector(language).detect(text)}
    assert want <= found, f"{sorted(want - found)} not found in {text!r} (found {sorted(found)})"
    assert not (not_want & found), f"{sorted(not_want & found)} wrongly found in {text!r}"
